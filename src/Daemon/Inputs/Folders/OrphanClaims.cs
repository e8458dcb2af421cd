using Microsoft.Extensions.Logging;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Claims in processing/ that no live daemon owns (this daemon's previous run, a SIGKILLed peer whose lease expired,
/// or unmarked ones): found at start-up and every third of the lease, then resumed like scanned files while there is
/// room. A claim whose output is already complete only moves to done/; the rest are redone. A live peer's claims are
/// left alone.
/// </summary>
internal sealed class OrphanClaims(WatchRoot root, LeaseKeeper lease, RootClaims claims, FolderJobs jobs, FolderMoves moves)
{
    private readonly Queue<(string Rel, string? Owner)> _resume = new();
    private DateTime _nextScan;

    /// <summary>Claims found and not resumed yet (they are resumed before the inbox is scanned).</summary>
    public int Pending => _resume.Count;

    private WatchLayout Layout => root.Layout;
    private ClaimOwners Owners => lease.Owners;

    /// <summary>Looks for orphans when a third of the lease has passed since the last look; how many were queued.</summary>
    public int QueueIfDue(DateTime now) => now >= _nextScan ? Queue(now) : 0;

    /// <summary>
    /// Queues the files in processing/ that no live daemon owns for resumption. Processing/ is listed before the markers
    /// are read: a claim is marked before its file moves in, so a file seen there whose marker is missing afterwards is
    /// truly unowned.
    /// </summary>
    public int Queue(DateTime now)
    {
        _nextScan = now + TimeSpan.FromSeconds(root.Settings.LeaseSeconds / 3);
        // A peer killed mid-write: its temporaries go as soon as its lock is released (by its death), not at our next start.
        if (Layout.RootDir.RemoveDeadTemporaries() is > 0 and var swept)
            root.Log.LogInformation("{Root}: removed {Count} temporary files of a daemon that is gone", root.Path, swept);
        var queued = _resume.Select(r => r.Rel).ToHashSet(StringComparer.Ordinal);
        // Files and links (a link here is refused by its job and moved aside as it is); no link is entered.
        var files = HandleTree.Walk(Layout.ProcessingDir).Where(e => e.Kind != HandleTree.Kind.Directory)
            .Select(e => e.Relative).Order(StringComparer.Ordinal).ToList();
        int added = 0;
        SweepState(now);
        foreach (string rel in files)
        {
            if (root.Masks && MaskNaming.IsMask(Path.GetFileName(rel))) continue; // resumed with its image
            if (rel.EndsWith(RootDirectory.TempSuffix, StringComparison.Ordinal) || claims.Contains(rel) || queued.Contains(rel)) continue;
            string? owner = Owners.OwnerOf(rel);
            if (owner is not null && Owners.IsLive(owner, now)) continue; // a live daemon's (ours included) claim
            _resume.Enqueue((rel, owner));
            added++;
        }
        return added;
    }

    /// <summary>Files left in processing/ by a crash or a dead peer, claimed like scanned ones while there is room.</summary>
    public async Task ClaimAsync(CancellationToken stop)
    {
        while (_resume.Count > 0 && !claims.Full && !stop.IsCancellationRequested)
        {
            var (rel, owner) = _resume.Dequeue();
            if (claims.Contains(rel) || Layout.ProcessingDir.Stat(rel) is null) continue;
            // Of several peers taking over the same claim, one wins; the others leave it.
            if (!await Owners.TryTakeOverAsync(rel, owner, stop).ConfigureAwait(false)) continue;
            if (Layout.ProcessingDir.Stat(rel) is null)
            {
                Owners.Release(rel);
                continue;
            }
            if (owner is not null) root.Log.LogInformation("{Root}: took over {Name} from {Owner} (no live lease)", root.Path, rel, owner);
            if (await jobs.AlreadyDoneAsync(rel, stop).ConfigureAwait(false))
            {
                // The crash came after the output and sidecar were durable: only the move to done/ was missing.
                if (moves.MoveOrReport(rel, Layout.DoneDir, "done/") is not null)
                {
                    root.CountCompleted();
                    root.Log.LogInformation("{Root}: {Name} was already restored; moved to done/", root.Path, rel);
                }
                claims.ReleaseIfGone(rel);
                continue;
            }
            claims.Start(rel);
        }
    }

    /// <summary>
    /// What dead daemons left in .claims/ and .owners/: markers of files no longer in processing/ (killed between the
    /// move and the marker's removal), takeover files, links, and leases long expired.
    /// </summary>
    private void SweepState(DateTime now)
    {
        var sweep = new StateSweep(Owners);
        var (takeovers, links) = sweep.SweepClaims(now, rel => claims.Contains(rel) || Layout.InProcessing(rel));
        if (takeovers > 0) root.Log.LogInformation("{Root}: removed {Count} takeover files of a daemon that died taking claims over", root.Path, takeovers);
        if (links > 0) root.Log.LogWarning("{Root}: removed {Count} symbolic links from .claims/ (never followed)", root.Path, links);
        if (sweep.PruneLeases(now) is > 0 and var pruned)
            root.Log.LogInformation("{Root}: removed {Count} leases of daemons that are gone (not written for {Hours:0.#} h)", root.Path, pruned, Owners.PruneAge.TotalHours);
    }
}
