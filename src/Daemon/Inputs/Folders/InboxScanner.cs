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
/// With <paramref name="masks"/> (an inpainting model), <c>NAME.mask.png</c> files are never entries: an image
/// waits until its mask has settled too, or, with no mask at all, for <see cref="MaskGrace"/> more (a mask
/// uploaded after its image still arrives in time; after that the job fails saying the mask is missing).
/// A scan is skipped unless it can find something new (<see cref="Due"/>): the file-system watcher reported a new
/// name, or an entry seen may have settled by now (its mtime + the settle time: a file written since only settles
/// later), or <see cref="Rescan"/> has passed since the last one (the safety net for events a watcher misses, e.g.
/// on network file systems). So 20 000 files still being written cost a scan every few seconds, not every poll.
/// </summary>
public sealed class InboxScanner(WatchLayout layout, TimeSpan settle, bool masks = false)
{
    private Dictionary<string, (long Size, DateTime Mtime, DateTime FirstSeen)> _previous = new(StringComparer.Ordinal);

    /// <summary>
    /// How long a sub-folder of inbox must have been empty and unchanged (its own mtime) before it is removed: a writer
    /// that has just made it gets time to put its file in. rmdir fails on a folder that is not empty, so one that
    /// gets a new entry meanwhile is never removed. The inbox itself never is.
    /// </summary>
    public TimeSpan EmptyFolderGrace { get; init; } = TimeSpan.FromSeconds(Math.Max(5, settle.TotalSeconds * 10));

    /// <summary>How much longer than the settle time an image without a mask waits for one.</summary>
    public TimeSpan MaskGrace { get; init; } = TimeSpan.FromSeconds(10);


    /// <summary>Every file the last scan saw in inbox, settled or not.</summary>
    public int Seen => Volatile.Read(ref _previous).Count;

    /// <summary>The longest time between two scans when nothing is reported and nothing seen can have settled.</summary>
    public TimeSpan Rescan { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether a watcher reports new names in inbox (<see cref="Changed"/>); without one every poll scans.</summary>
    public bool Watched { get; set; }

    private volatile bool _changed = true;
    private DateTime _nextDue = DateTime.MinValue;

    /// <summary>A new name appeared in inbox (or the watcher lost events): the next poll scans.</summary>
    public void Changed() => _changed = true;

    /// <summary>Whether a scan now can find anything the last one did not.</summary>
    public bool Due(DateTime nowUtc) => !Watched || _changed || nowUtc >= _nextDue;

    /// <summary>Settled entries, oldest first.</summary>
    public List<InboxEntry> Scan(DateTime nowUtc)
    {
        _changed = false; // before the walk: a name created during it triggers another scan
        var seen = new Dictionary<string, (long, DateTime, DateTime)>(StringComparer.Ordinal);
        var ready = new List<InboxEntry>();
        var settledMasks = new HashSet<string>(StringComparer.Ordinal);
        DateTime next = nowUtc + Rescan;
        Walk(layout.Inbox, "", nowUtc, seen, ready, settledMasks, ref next);
        if (masks)
            ready.RemoveAll(e =>
            {
                if (e.RefuseReason is not null || MaskReady(e, seen, settledMasks, nowUtc)) return false;
                if (!seen.ContainsKey(MaskNaming.MaskFor(e.Relative)) && e.ModifiedUtc + settle + MaskGrace < next) next = e.ModifiedUtc + settle + MaskGrace;
                return true;
            });
        foreach (var (_, (_, mtime, firstSeen)) in seen)
        {
            // The earliest an entry seen can be reported settled (one written since settles later still).
            DateTime settles = (mtime > nowUtc ? firstSeen : mtime) + settle;
            if (settles < next) next = settles;
        }
        if (ready.Count > 0) next = nowUtc; // not all claimed yet (no room, a name still busy): look again next poll
        _nextDue = next;
        _previous = seen;
        ready.Sort((a, b) => a.ModifiedUtc != b.ModifiedUtc ? a.ModifiedUtc.CompareTo(b.ModifiedUtc) : string.CompareOrdinal(a.Relative, b.Relative));
        return ready;
    }

    private bool MaskReady(InboxEntry image, Dictionary<string, (long, DateTime, DateTime)> seen, HashSet<string> settledMasks, DateTime now)
    {
        string mask = MaskNaming.MaskFor(image.Relative);
        if (seen.ContainsKey(mask)) return settledMasks.Contains(mask);
        return now - image.ModifiedUtc >= settle + MaskGrace;
    }

    /// <returns>How many entries the folder holds (any kind, temporary names included).</returns>
    private int Walk(string dir, string relDir, DateTime now, Dictionary<string, (long, DateTime, DateTime)> seen, List<InboxEntry> ready, HashSet<string> settledMasks, ref DateTime next)
    {
        List<string> entries;
        int removed = 0; // sub-folders removed as empty: a parent holding nothing else is empty too (its mtime was read before)
        try
        {
            entries = Directory.EnumerateFileSystemEntries(dir).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1; // a folder vanished or is unreadable mid-scan: the next scan sees the new state
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
                else if (Walk(path, rel, now, seen, ready, settledMasks, ref next) == 0)
                    removed += RemoveIfStale(rel, e.ModifiedUtc, now, ref next) ? 1 : 0;
                continue;
            }
            (long size, DateTime mtime) = (e.Size, e.ModifiedUtc);
            bool unchanged = _previous.TryGetValue(rel, out var before) && (before.Size, before.Mtime) == (size, mtime);
            DateTime firstSeen = unchanged ? before.FirstSeen : now;
            seen[rel] = (size, mtime, firstSeen);
            // An mtime in the future (a writer's clock, a restored archive) would never look old enough:
            // then the time this scanner has seen it unchanged counts instead.
            bool settled = now - mtime >= settle || (mtime > now && now - firstSeen >= settle);
            if (!unchanged || !settled) continue;
            if (masks && MaskNaming.IsMask(name)) settledMasks.Add(rel); // travels with its image, never a job itself
            else ready.Add(new InboxEntry(rel, size, mtime, null));
        }
        return entries.Count - removed;
    }

    /// <summary>An empty sub-folder unchanged for the grace period goes (rmdir: only if it is still empty); otherwise the scan when it may.</summary>
    private bool RemoveIfStale(string rel, DateTime mtime, DateTime now, ref DateTime next)
    {
        if (now - mtime < EmptyFolderGrace)
        {
            if (mtime + EmptyFolderGrace < next) next = mtime + EmptyFolderGrace;
            return false;
        }
        try
        {
            return layout.InboxDir.DeleteEmptyDirectory(rel);
        }
        catch (IOException)
        {
            return false; // unwritable or swapped for a link meanwhile: left as it is
        }
    }
}
