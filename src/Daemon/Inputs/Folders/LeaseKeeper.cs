using Microsoft.Extensions.Logging;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// This daemon's lease on a watch root: taken at start-up, refreshed apart from the claiming loop until the intake
/// is disposed (jobs still draining after the stop stay ours), removed on a clean stop so what is left in
/// processing/ is free for a peer (or the next start) at once. A refresh that fails makes the root not ready.
/// </summary>
internal sealed class LeaseKeeper(WatchRoot root, RootHealth health) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _refresh;

    /// <summary>The claim owners of the root, once <see cref="TakeAsync"/> has opened them.</summary>
    public ClaimOwners Owners => _owners ?? throw new InvalidOperationException("the lease has not been taken");
    private ClaimOwners? _owners;

    /// <summary>Writes the lease (the layout must be open) and starts refreshing it.</summary>
    public async Task TakeAsync(CancellationToken stop)
    {
        _owners ??= new ClaimOwners(root.Layout.RootDir, TimeSpan.FromSeconds(root.Settings.LeaseSeconds), root.Ignored);
        await _owners.RefreshAsync(DateTime.UtcNow, stop).ConfigureAwait(false);
        _refresh ??= RefreshAsync(_owners, _stop.Token);
    }

    /// <summary>Whether the root's path still shows this daemon's lease (false: the folder was removed, renamed or replaced).</summary>
    public bool Visible => File.Exists(Path.Combine(root.Path, ".owners", Owners.Id + ".lease"));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_refresh is not null) await _refresh.ConfigureAwait(false);
        _stop.Dispose();
        try
        {
            _owners?.Retire();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            root.Log.LogWarning("{Root}: could not remove this daemon's lease: {Message}", root.Path, e.Message);
        }
        _owners?.Dispose();
    }

    private async Task RefreshAsync(ClaimOwners owners, CancellationToken ct)
    {
        TimeSpan tick = TimeSpan.FromSeconds(Math.Min(1, root.Settings.LeaseSeconds / 6));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(tick, ct).ConfigureAwait(false);
                await owners.RefreshAsync(DateTime.UtcNow, ct).ConfigureAwait(false);
                health.LeaseRefreshed();
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Peers take our claims over if this lasts past the lease: reported through readiness, tried again on the next tick.
                health.LeaseFailed(e.Message);
            }
        }
    }
}
