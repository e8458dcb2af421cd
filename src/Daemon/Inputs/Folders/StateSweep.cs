using ResShift.Pipeline.Files;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Clears what daemons that are gone left in a root's <c>.claims/</c> and <c>.owners/</c>, walking both through their
/// handles without following a link (<see cref="HandleTree"/>): markers of claims that have left processing/,
/// takeover files of a daemon killed mid-takeover, temporaries of a killed write, leases of daemons long dead, and
/// links, which the daemon never makes there (removed, never followed).
/// </summary>
internal sealed class StateSweep(ClaimOwners owners)
{
    private const string Taking = ".taking", MarkerInfix = ".owner.";

    public readonly record struct Result(int Takeovers, int Links);

    /// <summary>
    /// One walk of <c>.claims/</c>: links removed (reported), takeover files whose taker is not live removed, and markers
    /// of files no longer in processing/ (<paramref name="busy"/>: still claimed or still there) removed when their
    /// owner is not live.
    /// </summary>
    public Result SweepClaims(DateTime now, Func<string, bool> busy)
    {
        int takeovers = 0, links = 0;
        foreach (HandleTree.Entry e in HandleTree.Walk(owners.Claims))
        {
            if (e.Kind == HandleTree.Kind.Link)
            {
                owners.Ignored?.Report(".claims/" + e.Relative, "link", "a symbolic link, which the daemon never makes there; not followed, removed");
                if (owners.TryDelete(e.Relative)) links++;
                continue;
            }
            if (e.Kind != HandleTree.Kind.File) continue;
            if (e.Relative.EndsWith(Taking, StringComparison.Ordinal))
            {
                if (DeadTakeover(e.Relative, now) && owners.TryDelete(e.Relative)) takeovers++;
            }
            else if (e.Relative.EndsWith(".owner", StringComparison.Ordinal))
            {
                string rel = e.Relative[..^".owner".Length];
                if (!busy(rel) && owners.OwnerOf(rel) is { } owner) owners.RemoveStale(rel, owner, now);
            }
        }
        return new Result(takeovers, links);
    }

    /// <summary>
    /// Removes lease files (and anything else named <c>*.lease</c>) that no live daemon holds and nobody has written for
    /// <see cref="ClaimOwners.PruneAge"/>: a SIGKILLed daemon never removes its own. How many.
    /// </summary>
    public int PruneLeases(DateTime now)
    {
        int pruned = 0;
        foreach (HandleTree.Entry e in HandleTree.List(owners.Owners))
        {
            if (e.Kind == HandleTree.Kind.Directory || !e.Relative.EndsWith(".lease", StringComparison.Ordinal)) continue;
            string owner = e.Relative[..^".lease".Length];
            if (owner == owners.Id) continue;
            FileEntry? stat;
            try
            {
                stat = owners.Owners.Stat(e.Relative);
            }
            catch (IOException)
            {
                continue;
            }
            // The last write, not the expiry inside: a lease is rewritten every third of itself while its daemon lives.
            if (stat is not { } s || now - s.ModifiedUtc < owners.PruneAge) continue;
            if (s.Kind == FileKind.Regular && owners.IsLive(owner, now)) continue;
            try
            {
                if (owners.Owners.Delete(e.Relative)) pruned++;
                owners.Ignored?.Clear(".owners/" + e.Relative);
            }
            catch (IOException)
            {
                // unwritable: tried again on the next sweep
            }
        }
        return pruned;
    }

    /// <summary>
    /// Removes the temporaries a SIGKILL left beside a marker or lease (versions before the temporary area, which
    /// <see cref="WatchLayout.RemoveStaleTemporaries"/> sweeps, wrote them there; a peer's write in flight at that very
    /// moment fails its rename and is retried: a marker as a busy name on the next scan, a lease on the next tick).
    /// </summary>
    public int RemoveTemporaries()
    {
        int removed = 0;
        foreach (RootDirectory dir in new[] { owners.Claims, owners.Owners })
            foreach (HandleTree.Entry e in HandleTree.Walk(dir))
                if (e.Kind == HandleTree.Kind.File && e.Relative.EndsWith(RootDirectory.TempSuffix, StringComparison.Ordinal) && Delete(dir, e.Relative))
                    removed++;
        return removed;
    }

    /// <summary>
    /// <c>REL.owner.ID.taking</c>: the dead owner's marker renamed by taker ID, which died before writing its own. The
    /// claim is unmarked then (free for anyone), so the file is only clutter; one whose taker is live is a takeover in progress.
    /// </summary>
    private bool DeadTakeover(string rel, DateTime now)
    {
        string name = Path.GetFileName(rel)[..^Taking.Length];
        int at = name.LastIndexOf(MarkerInfix, StringComparison.Ordinal);
        if (at < 0) return false;
        string taker = name[(at + MarkerInfix.Length)..];
        return taker.Length > 0 && !owners.IsLive(taker, now);
    }

    private static bool Delete(RootDirectory dir, string rel)
    {
        try
        {
            return dir.Delete(rel);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
