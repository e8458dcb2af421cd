using Microsoft.Extensions.Logging;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Claims settled inbox files while the pipeline has room: each is marked as this daemon's, then moved into
/// processing/ by one rename (never over a file, never through a link) and started. What the scanner refuses (links,
/// FIFOs, devices, names too long) goes to failed/ once, as it is, with an error file.
/// </summary>
internal sealed class InboxClaimer(WatchRoot root, RootHealth health, LeaseKeeper lease, RootClaims claims, FolderMoves moves, ErrorFiles errors)
{
    public InboxScanner Scanner { get; } = new(root.Layout, TimeSpan.FromSeconds(root.Settings.SettleSeconds), root.Masks)
    {
        MaskGrace = TimeSpan.FromSeconds(Math.Max(0, root.Settings.MaskWaitSeconds)),
    };

    private WatchLayout Layout => root.Layout;
    private ClaimOwners Owners => lease.Owners;

    /// <summary>
    /// A watcher on inbox calling <paramref name="changed"/>: a hint to scan sooner; polling stays the source of truth
    /// (watchers miss events on network file systems). Null where none can be made.
    /// </summary>
    public FileSystemWatcher? Watch(Action changed)
    {
        try
        {
            // The scanner skips scans that cannot find anything new; a new name (or lost events) makes the next one due.
            var w = new FileSystemWatcher(Layout.Inbox) { IncludeSubdirectories = true, EnableRaisingEvents = true };
            w.Created += (_, _) => changed();
            w.Renamed += (_, _) => changed();
            w.Error += (_, _) => changed();
            Scanner.Watched = true;
            return w;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            return null;
        }
    }

    public async Task ScanAndClaimAsync(CancellationToken stop)
    {
        if (claims.Full || !Scanner.Due(DateTime.UtcNow)) return;
        foreach (InboxEntry entry in Scanner.Scan(DateTime.UtcNow))
        {
            if (claims.Full || stop.IsCancellationRequested) break;
            if (entry.RefuseReason is not null)
            {
                await RefuseAsync(entry).ConfigureAwait(false);
                continue;
            }
            // A claim still settling (a file handed back a moment ago is in inbox before its claim ends).
            if (claims.Contains(entry.Relative)) continue;
            // Marked as ours before it moves (a peer listing processing/ then always finds its owner); a name
            // marked by another claim still in work waits in inbox until the name is free.
            try
            {
                if (!await MarkAsync(entry.Relative, stop).ConfigureAwait(false)) continue;
            }
            catch (IOException e) when (DiskSpace.IsFull(e))
            {
                TimeSpan pause = health.DiskFull(DateTime.UtcNow);
                root.Log.LogWarning("{Root}: {Name}: disk full ({Message}); not claimed, claiming again in {Seconds} s", root.Path, entry.Relative, e.Message, pause.TotalSeconds);
                break;
            }
            if (Move(entry.Relative)) claims.Start(entry.Relative);
        }
    }

    /// <summary>Into processing/, never over a file of the same name still in work (that one waits in inbox until the name is free).</summary>
    private bool Move(string rel)
    {
        MoveResult claimed;
        try
        {
            claimed = Layout.InboxDir.Move(rel, Layout.ProcessingDir, rel);
        }
        catch (UnsafePathException e)
        {
            // A folder on its way became a link after the scan: refused where it stands, nothing followed.
            root.Log.LogWarning("{Root}: not claiming {Name}: {Message}", root.Path, rel, e.Message);
            Owners.Release(rel);
            return false;
        }
        if (claimed != MoveResult.Moved)
        {
            Owners.Release(rel);
            return false;
        }
        moves.MoveMask(rel, Layout.InboxDir, Layout.ProcessingDir, rel);
        return true;
    }

    /// <summary>
    /// Marks <paramref name="rel"/> as this daemon's claim. A marker left by a dead daemon for a file no longer in
    /// processing/ (it crashed between the two) is removed first; a live owner's marker keeps the name busy.
    /// </summary>
    private async Task<bool> MarkAsync(string rel, CancellationToken stop)
    {
        if (await Owners.TryMarkAsync(rel, stop).ConfigureAwait(false)) return true;
        if (Owners.OwnerOf(rel) is not { } owner || Layout.InProcessing(rel)) return false;
        Owners.RemoveStale(rel, owner, DateTime.UtcNow);
        return await Owners.TryMarkAsync(rel, stop).ConfigureAwait(false);
    }

    private async Task RefuseAsync(InboxEntry entry)
    {
        root.Log.LogWarning("{Root}: refusing {Name}: {Reason}", root.Path, entry.Relative, entry.RefuseReason);
        string? aside = null;
        try
        {
            // A link is moved as a link (never followed), once: the next scan no longer sees it.
            aside = WatchLayout.MoveAside(Layout.InboxDir, Layout.FailedDir, entry.Relative, WatchLayout.ErrorFile);
        }
        catch (IOException e)
        {
            root.Log.LogError("{Root}: could not move {Name} to failed/: {Message}", root.Path, entry.Relative, e.Message);
        }
        if (aside is not null)
            await errors.WriteAsync(aside, entry.Relative, $"{entry.Relative}: {entry.RefuseReason}", "refused").ConfigureAwait(false);
        root.CountFailed();
        PipelineMetrics.Jobs.Add(1, new("source", "folder"), new("result", "failed"));
    }
}
