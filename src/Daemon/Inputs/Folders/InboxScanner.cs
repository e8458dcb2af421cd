using ResShift.Pipeline.Files;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>An inbox entry ready to be claimed, or one to refuse outright (and why).</summary>
public sealed record InboxEntry(string Relative, long Size, DateTime ModifiedUtc, string? RefuseReason);

/// <summary>
/// Finds settled files in an inbox. A file is taken only once its size and mtime are unchanged between two
/// scans and its mtime is at least the settle time old; temporary names (.part, .tmp, dotfiles) are ignored.
/// Symbolic links (wherever they point: every path is opened without following links), FIFOs, sockets,
/// devices and directories named like images are reported for refusal, so they are moved aside once.
/// </summary>
public sealed class InboxScanner(WatchLayout layout, TimeSpan settle)
{
    private Dictionary<string, (long Size, DateTime Mtime, DateTime FirstSeen)> _previous = new(StringComparer.Ordinal);


    /// <summary>Settled entries, oldest first.</summary>
    public List<InboxEntry> Scan(DateTime nowUtc)
    {
        var seen = new Dictionary<string, (long, DateTime, DateTime)>(StringComparer.Ordinal);
        var ready = new List<InboxEntry>();
        Walk(layout.Inbox, "", nowUtc, seen, ready);
        _previous = seen;
        ready.Sort((a, b) => a.ModifiedUtc != b.ModifiedUtc ? a.ModifiedUtc.CompareTo(b.ModifiedUtc) : string.CompareOrdinal(a.Relative, b.Relative));
        return ready;
    }

    private void Walk(string dir, string relDir, DateTime now, Dictionary<string, (long, DateTime, DateTime)> seen, List<InboxEntry> ready)
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
            FileEntry? entry;
            try
            {
                entry = layout.InboxDir.Stat(rel);
            }
            catch (IOException)
            {
                continue; // a folder on the way was swapped for a link mid-scan: the next scan sees it as a link
            }
            if (entry is not { } e) continue;
            if (e.Kind == FileKind.Symlink)
            {
                string target = new FileInfo(path).LinkTarget ?? "?";
                ready.Add(new InboxEntry(rel, 0, DateTime.MinValue, $"a symbolic link (to {target}); links are not followed, copy the file itself"));
                continue;
            }
            if (e.Kind == FileKind.Special)
            {
                ready.Add(new InboxEntry(rel, 0, DateTime.MinValue, "not a regular file (a FIFO, socket or device); only regular files are read"));
                continue;
            }
            if (e.Kind == FileKind.Regular && System.Text.Encoding.UTF8.GetByteCount(name) > WatchLayout.MaxNameBytes)
            {
                ready.Add(new InboxEntry(rel, 0, DateTime.MinValue,
                    $"the name is {System.Text.Encoding.UTF8.GetByteCount(name)} bytes; at most {WatchLayout.MaxNameBytes} are accepted (the provenance sidecar adds 14 and names stop at 255)"));
                continue;
            }
            if (e.Kind == FileKind.Directory)
            {
                if (ImageFormats.FromPath(name) is not null)
                    ready.Add(new InboxEntry(rel, 0, DateTime.MinValue, "a directory named like an image, not an image file"));
                else
                    Walk(path, rel, now, seen, ready);
                continue;
            }
            (long size, DateTime mtime) = (e.Size, e.ModifiedUtc);
            bool unchanged = _previous.TryGetValue(rel, out var before) && (before.Size, before.Mtime) == (size, mtime);
            DateTime firstSeen = unchanged ? before.FirstSeen : now;
            seen[rel] = (size, mtime, firstSeen);
            // An mtime in the future (a writer's clock, a restored archive) would never look old enough:
            // then the time this scanner has seen it unchanged counts instead.
            bool settled = now - mtime >= settle || (mtime > now && now - firstSeen >= settle);
            if (unchanged && settled) ready.Add(new InboxEntry(rel, size, mtime, null));
        }
    }
}
