using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>An inbox entry ready to be claimed, or one to refuse outright (and why).</summary>
public sealed record InboxEntry(string Relative, long Size, DateTime ModifiedUtc, string? RefuseReason);

/// <summary>
/// Finds settled files in an inbox. A file is taken only once its size and mtime are unchanged between two
/// scans and its mtime is at least the settle time old; temporary names (.part, .tmp, dotfiles) are ignored.
/// Symlinks resolving outside the root and directories named like images are reported for refusal.
/// With <paramref name="masks"/> (an inpainting model), <c>NAME.mask.png</c> files are never entries: an image
/// waits until its mask has settled too, or, with no mask at all, for <see cref="MaskGrace"/> more (a mask
/// uploaded after its image still arrives in time; after that the job fails saying the mask is missing).
/// </summary>
public sealed class InboxScanner(WatchLayout layout, TimeSpan settle, bool masks = false)
{
    private Dictionary<string, (long Size, DateTime Mtime)> _previous = new(StringComparer.Ordinal);

    /// <summary>How much longer than the settle time an image without a mask waits for one.</summary>
    public TimeSpan MaskGrace { get; init; } = TimeSpan.FromSeconds(10);


    /// <summary>Settled entries, oldest first.</summary>
    public List<InboxEntry> Scan(DateTime nowUtc)
    {
        var seen = new Dictionary<string, (long, DateTime)>(StringComparer.Ordinal);
        var ready = new List<InboxEntry>();
        var settledMasks = new HashSet<string>(StringComparer.Ordinal);
        Walk(layout.Inbox, "", nowUtc, seen, ready, settledMasks);
        if (masks) ready.RemoveAll(e => e.RefuseReason is null && !MaskReady(e, seen, settledMasks, nowUtc));
        _previous = seen;
        ready.Sort((a, b) => a.ModifiedUtc != b.ModifiedUtc ? a.ModifiedUtc.CompareTo(b.ModifiedUtc) : string.CompareOrdinal(a.Relative, b.Relative));
        return ready;
    }

    private bool MaskReady(InboxEntry image, Dictionary<string, (long, DateTime)> seen, HashSet<string> settledMasks, DateTime now)
    {
        string mask = MaskNaming.MaskFor(image.Relative);
        if (seen.ContainsKey(mask)) return settledMasks.Contains(mask);
        return now - image.ModifiedUtc >= settle + MaskGrace;
    }

    private void Walk(string dir, string relDir, DateTime now, Dictionary<string, (long, DateTime)> seen, List<InboxEntry> ready, HashSet<string> settledMasks)
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // a folder vanished or is unreadable mid-scan: the next scan sees the new state
        }
        foreach (string path in entries)
        {
            string name = Path.GetFileName(path);
            if (InputDiscovery.IsTemporaryName(name)) continue;
            string rel = relDir.Length == 0 ? name : Path.Combine(relDir, name);
            FileSystemInfo info = Directory.Exists(path) && !WatchLayout.IsLink(path) ? new DirectoryInfo(path) : new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                if (!WatchLayout.ResolvesInside(path, layout.Root))
                {
                    ready.Add(new InboxEntry(rel, 0, DateTime.MinValue, $"symbolic link pointing outside the watch root ({info.LinkTarget})"));
                    continue;
                }
            }
            if (info is DirectoryInfo)
            {
                if (ImageFormats.FromPath(name) is not null)
                    ready.Add(new InboxEntry(rel, 0, DateTime.MinValue, "a directory named like an image, not an image file"));
                else
                    Walk(path, rel, now, seen, ready, settledMasks);
                continue;
            }
            var file = (FileInfo)info;
            if (!file.Exists) continue;
            (long size, DateTime mtime) = (file.Length, file.LastWriteTimeUtc);
            seen[rel] = (size, mtime);
            bool unchanged = _previous.TryGetValue(rel, out var before) && before == (size, mtime);
            if (!unchanged || now - mtime < settle) continue;
            if (masks && MaskNaming.IsMask(name)) settledMasks.Add(rel); // travels with its image, never a job itself
            else ready.Add(new InboxEntry(rel, size, mtime, null));
        }
    }
}
