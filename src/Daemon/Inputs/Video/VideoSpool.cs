using ResShift.Pipeline.Files;

namespace ResShift.Daemon.Inputs.Video;

/// <summary>
/// The spool of a watch root (<c>ROOT/.resshift-video/</c>): per claimed video, its segment folder
/// (<c>.NAME.mkv.resshift-segments/</c>) and, for a moment before delivery, its output and sidecar, all named after
/// the input (NAME = the input's name + ".mkv"). A video still in processing/ resumes from its entry, and so does one
/// a drain handed back to inbox/ (its committed segments are the next run's starting point); an entry whose input is
/// in neither (finished, failed, removed by an operator) is removed at start-up.
/// </summary>
public static class VideoSpool
{
    private const string SegmentsSuffix = ".resshift-segments";
    private static readonly string[] FileSuffixes = [".mkv.resshift.json", ".mkv", ".mp4", ".mov", ".webm"];

    /// <summary>Removes the entries whose input is neither in <paramref name="processing"/> nor in the root's inbox/; how many went.</summary>
    public static int Prune(RootDirectory root, RootDirectory processing)
    {
        string spool = Path.Combine(root.Path, VideoJobRunner.SpoolFolder);
        if (!Directory.Exists(spool)) return 0;
        using RootDirectory? inbox = OpenInbox(root);
        int removed = 0;
        foreach (string folder in Folders(spool))
        {
            string rel = Path.GetRelativePath(spool, folder);
            string prefix = rel == "." ? "" : rel + "/";
            foreach (string entry in Directory.EnumerateFileSystemEntries(folder))
            {
                string name = Path.GetFileName(entry);
                string? input = InputOf(name, Directory.Exists(entry));
                if (input is null || processing.Stat(prefix + input) is not null || IsFile(inbox, prefix + input)) continue;
                try
                {
                    // A link (never made here) is removed itself, never followed.
                    if ((File.GetAttributes(entry) & FileAttributes.ReparsePoint) == 0 && Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                    else File.Delete(entry);
                    removed++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        foreach (string folder in Enumerable.Reverse(Folders(spool)).Where(f => f != spool))
            if (!Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        return removed;
    }

    private static RootDirectory? OpenInbox(RootDirectory root)
    {
        try
        {
            return root.OpenDirectory("inbox", create: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // no inbox (or not a folder): nothing handed back to keep
        }
    }

    private static bool IsFile(RootDirectory? folder, string relative)
    {
        try
        {
            return folder?.Stat(relative) is { Kind: FileKind.Regular };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The spool and its subfolders (nested inputs), not the segment folders themselves; parents first.</summary>
    private static List<string> Folders(string spool)
    {
        var all = new List<string> { spool };
        for (int i = 0; i < all.Count; i++)
            all.AddRange(Directory.EnumerateDirectories(all[i]).Where(d => !Path.GetFileName(d).EndsWith(SegmentsSuffix, StringComparison.Ordinal)
                && (File.GetAttributes(d) & FileAttributes.ReparsePoint) == 0));
        return all;
    }

    /// <summary>The input name a spool entry belongs to; null for a name the spool never makes.</summary>
    private static string? InputOf(string name, bool directory)
    {
        if (directory)
            return name.StartsWith('.') && name.EndsWith(".mkv" + SegmentsSuffix, StringComparison.Ordinal)
                ? name[1..^(".mkv" + SegmentsSuffix).Length] : null;
        foreach (string suffix in FileSuffixes)
            if (name.EndsWith(suffix, StringComparison.Ordinal) && name.Length > suffix.Length) return name[..^suffix.Length];
        return null;
    }
}
