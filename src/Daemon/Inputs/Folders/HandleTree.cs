using System.IO.Enumeration;
using ResShift.Pipeline.Files;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Lists what is below a folder held by handle without following a link anywhere: each folder is listed through its
/// own descriptor (<see cref="RootDirectory.DescriptorPath"/>), and a sub-folder is entered only by opening it from its
/// parent's handle, which refuses a link (so one swapped in between the listing and the descent is not walked either).
/// A link is reported as a link, never entered; so <c>.claims/evil → /usr</c> costs one entry, not a walk of /usr.
/// </summary>
internal static class HandleTree
{
    public enum Kind
    {
        /// <summary>Anything that is neither a folder nor a link (FIFOs and devices too: whoever opens it checks).</summary>
        File,
        Directory,
        Link,
    }

    public readonly record struct Entry(string Relative, Kind Kind);

    /// <summary>Every entry below <paramref name="dir"/> (relative to it, '/'-separated), folders before what they hold, at most <paramref name="depth"/> folders deep.</summary>
    public static IEnumerable<Entry> Walk(RootDirectory dir, int depth = 256) => Walk(dir, "", depth);

    /// <summary>The entries of <paramref name="dir"/> itself.</summary>
    public static IEnumerable<Entry> List(RootDirectory dir) => Walk(dir, "", 0);

    private static IEnumerable<Entry> Walk(RootDirectory dir, string prefix, int depth)
    {
        foreach (var (name, kind) in Names(dir))
        {
            string rel = prefix.Length == 0 ? name : prefix + "/" + name;
            yield return new Entry(rel, kind);
            if (kind != Kind.Directory || depth == 0) continue;
            RootDirectory? sub = Open(dir, name);
            if (sub is null) continue;
            using (sub)
                foreach (Entry e in Walk(sub, rel, depth - 1)) yield return e;
        }
    }

    /// <summary>The folder's names, read at once (callers may remove entries while walking); none when it cannot be read.</summary>
    private static List<(string Name, Kind Kind)> Names(RootDirectory dir)
    {
        try
        {
            var names = new FileSystemEnumerable<(string, Kind)>(dir.DescriptorPath,
                (ref FileSystemEntry e) => (e.FileName.ToString(),
                    (e.Attributes & FileAttributes.ReparsePoint) != 0 ? Kind.Link : e.IsDirectory ? Kind.Directory : Kind.File),
                new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = true });
            return names.ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // removed or unreadable meanwhile: the next walk sees the new state
        }
    }

    private static RootDirectory? Open(RootDirectory dir, string name)
    {
        try
        {
            return dir.OpenDirectory(name, create: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // swapped for a link (refused) or removed since it was listed
        }
    }
}
