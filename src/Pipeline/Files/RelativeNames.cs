namespace ResShift.Pipeline.Files;

/// <summary>Names inside a root that every intake shares: the variant of a taken name, and tidying emptied folders.</summary>
public static class RelativeNames
{
    /// <summary>
    /// The documented rule for a name that is taken: "photo.png" becomes "photo-2.png", "photo-3.png", ...
    /// (done/ and failed/ keep every original; two inputs that map to one output get distinct outputs).
    /// </summary>
    public static string Variant(string relative, int n)
    {
        string dir = Path.GetDirectoryName(relative) ?? "";
        string name = Path.GetFileName(relative);
        int dot = name.LastIndexOf('.');
        string varied = dot > 0 ? $"{name[..dot]}-{n}{name[dot..]}" : $"{name}-{n}";
        return dir.Length == 0 ? varied : $"{dir}/{varied}";
    }

    /// <summary>
    /// Removes the folders on the way to <paramref name="relative"/> (deepest first, never <paramref name="dir"/> itself)
    /// that are empty now, stopping at the first that is not: rmdir refuses a folder with anything in it, so a claim
    /// moving a file in at the same moment either finds its folder or makes it again.
    /// </summary>
    public static void RemoveEmptyParents(RootDirectory dir, string relative)
    {
        for (string? parent = Path.GetDirectoryName(relative); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            try
            {
                if (!dir.DeleteEmptyDirectory(parent)) return;
            }
            catch (IOException)
            {
                return; // unwritable, or swapped for a link: left alone
            }
        }
    }
}
