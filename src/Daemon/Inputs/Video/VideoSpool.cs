using ResShift.Pipeline.Files;

namespace ResShift.Daemon.Inputs.Video;

/// <summary>
/// The spool of a watch root (<c>ROOT/.resshift-video/</c>): per claimed video, its segment folder
/// (<c>.NAME.mkv.resshift-segments/</c>) and, for a moment before delivery, its output and sidecar, all named after
/// the input (NAME = the input's name + ".mkv"). A video still in processing/ resumes from its entry; an entry
/// whose input has left processing/ (finished, failed, handed back, removed by an operator) is removed at start-up.
/// </summary>
public static class VideoSpool
{
    private const string SegmentsSuffix = ".resshift-segments";
    private static readonly string[] FileSuffixes = [".mkv.resshift.json", ".mkv", ".mp4", ".mov", ".webm"];

    /// <summary>Removes the entries whose input is no longer in <paramref name="processing"/>; how many went.</summary>
    public static int Prune(RootDirectory root, RootDirectory processing)
    {
        string spool = Path.Combine(root.Path, VideoJobRunner.SpoolFolder);
        if (!Directory.Exists(spool)) return 0;
        int removed = 0;
        foreach (string folder in Folders(spool))
        {
            string rel = Path.GetRelativePath(spool, folder);
            string prefix = rel == "." ? "" : rel + "/";
            foreach (string entry in Directory.EnumerateFileSystemEntries(folder))
            {
                string name = Path.GetFileName(entry);
                string? input = InputOf(name, Directory.Exists(entry));
                if (input is null || processing.Stat(prefix + input) is not null) continue;
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
