using Microsoft.Extensions.Logging;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// The claims of one watch root: jobs taken and not settled (counted against the limit, so a backlog waits in inbox),
/// each run in the background as its kind and settled, its marker dropped once the file has left processing/.
/// </summary>
internal sealed class RootClaims(WatchRoot root, LeaseKeeper lease, FolderJobs jobs, Settlement settlement, int limit, Action progress, Action wake)
{
    public ClaimSet<string> Set { get; } = new(StringComparer.Ordinal);

    public int Count => Set.Count;

    /// <summary>Whether the pipeline has no room for another claim now.</summary>
    public bool Full => Set.Count >= limit;

    public bool Contains(string rel) => Set.Contains(rel);

    /// <summary>Claims <paramref name="rel"/> (now in processing/) and runs it in the background; the claim counts from here.</summary>
    public void Start(string rel)
    {
        Claim claim = Set.Add(rel);
        Background.Run(() => RunAsync(rel, claim), root.Log, $"{root.Path}: {rel}");
    }

    /// <summary>Drops this daemon's marker of <paramref name="rel"/> once the file has left processing/.</summary>
    public void ReleaseIfGone(string rel)
    {
        try
        {
            if (root.Layout.ProcessingDir.Stat(rel) is not null) return;
            lease.Owners.Release(rel);
            WatchLayout.RemoveEmptyParents(root.Layout.ProcessingDir, rel); // processing/sub/ goes with its last job
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            root.Log.LogWarning("{Root}: could not remove the claim marker of {Name}: {Message}", root.Path, rel, e.Message);
        }
    }

    private async Task RunAsync(string rel, Claim claim)
    {
        try
        {
            await settlement.SettleAsync(rel, await jobs.RunAsync(rel, claim, progress).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Settling itself failed in a way nobody foresaw: say so, and put the file where an operator will look.
            root.Log.LogError(e, "{Root}: {Name}: unexpected failure: {Message}", root.Path, rel, e.Message);
            await settlement.FailAsync(rel, e.Message, "error").ConfigureAwait(false);
        }
        finally
        {
            ReleaseIfGone(rel);
            claim.Dispose();
            progress();
            wake();
        }
    }
}
