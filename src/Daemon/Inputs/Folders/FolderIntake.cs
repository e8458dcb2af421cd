using Microsoft.Extensions.Logging;
using ResShift.Daemon.Serve;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Backends;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Feeds one watch root into its model's pipeline. Claims files only while the pipeline has room, so a
/// backlog of any size waits in inbox (memory stays bounded and several daemons can share a root).
/// Crash safety: output and sidecar are written atomically before the original leaves processing/, and
/// whatever is in processing/ at start-up is resumed through the same claims as scanned files (concurrent,
/// batched together, counted against the limit, stopped by the drain): finished ones (<see cref="CompletedOutput"/>)
/// are just moved to done/, the rest are redone. On drain, claims that never started go back to inbox.
/// The parts: <see cref="RootHealth"/> (readiness and pauses), <see cref="LeaseKeeper"/> (this daemon's lease),
/// <see cref="OrphanClaims"/> (takeover), <see cref="InboxClaimer"/> (scan and claim), <see cref="RootClaims"/> (run),
/// <see cref="FolderJobs"/> (the job's kind), <see cref="Settlement"/> (where it ends).
/// </summary>
public sealed class FolderIntake : IIntake
{
    private readonly WatchRoot _root;
    private readonly RootHealth _health;
    private readonly LeaseKeeper _lease;
    private readonly RootClaims _claims;
    private readonly OrphanClaims _orphans;
    private readonly InboxClaimer _inbox;
    private readonly SemaphoreSlim _wake = new(0);

    public FolderIntake(WatchSettings settings, ModelPipeline model, long maxPixels, ILogger log)
    {
        _root = new WatchRoot(settings, model, maxPixels, log);
        _health = new RootHealth(_root);
        _lease = new LeaseKeeper(_root, _health);
        var moves = new FolderMoves(_root);
        var errors = new ErrorFiles(_root);
        var jobs = new FolderJobs(_root);
        var settlement = new Settlement(_root, _health, moves, errors, jobs);
        _claims = new RootClaims(_root, _lease, jobs, settlement, model.Options.MaxJobsInFlight * 2, () => Progress?.Invoke(), Wake);
        _orphans = new OrphanClaims(_root, _lease, _claims, jobs, moves);
        _inbox = new InboxClaimer(_root, _health, _lease, _claims, moves, errors);
    }

    public WatchLayout Layout => _root.Layout;

    /// <summary>The daemon's video defaults (ServeSettings.Video), under this root's own Video keys.</summary>
    public Configuration.VideoSettings? VideoDefaults { init => _root.Video = (_root.Settings.Video ?? new()).Over(value); }

    /// <summary>This root's place in the configuration's Watch list (the label of its metrics).</summary>
    public int Index { get => _root.Index; init => _root.Index = value; }
    public string Describe => "folder:" + _root.Path;
    public string ClaimsName => "claimed";
    /// <summary>Why this root cannot take work now (gone, replaced or unwritable since start), for /readyz; null when it can.</summary>
    public string? Problem => _health.Problem;
    public int Claimed => _claims.Count;
    public long Completed => _root.Completed;
    public long Failed => _root.Failed;
    public event Action? Progress;

    /// <summary>Runs until <paramref name="stop"/>: queue what processing/ holds for resumption, then claim (resumed first, then scanned).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        if (!await StartAsync(stop).ConfigureAwait(false)) return;
        _root.Log.LogInformation("watching {Root} (drop files in {Inbox}, results in {Outbox})", _root.Path, Layout.Inbox, Layout.Outbox);
        using FileSystemWatcher? watcher = _inbox.Watch(Changed);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await PassAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break; // SIGTERM in the middle of a claim (its marker write saw the stop): the claim never happened
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _ = _health.Unhealthy($"{_root.Path}: scan failed: {e.Message}", DateTime.UtcNow);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // Never let the intake stop silently: say what broke and keep watching.
                _root.Log.LogError(e, "{Root}: unexpected failure while claiming: {Message}; retrying", _root.Path, e.Message);
            }
            try
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(_root.Settings.PollMilliseconds), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        if (_orphans.Pending > 0)
            _root.Log.LogInformation("{Root}: {Count} jobs not resumed before the stop stay in processing/ for the next start", _root.Path, _orphans.Pending);
    }

    /// <summary>
    /// Start-up, tried again with backoff while the root is broken (it may have broken between the configuration
    /// checks and here: not ready, with the reason). False when stopped first.
    /// </summary>
    private async Task<bool> StartAsync(CancellationToken stop)
    {
        while (true)
        {
            try
            {
                await StartUpAsync(stop).ConfigureAwait(false);
                _health.Healthy();
                _health.Watching();
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                TimeSpan pause = _health.Unhealthy($"{_root.Path}: cannot start watching: {e.Message}", DateTime.UtcNow);
                try
                {
                    await Task.Delay(pause, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }
    }

    /// <summary>Opens the folders, takes this daemon's lease and queues the claims no live daemon owns.</summary>
    private async Task StartUpAsync(CancellationToken stop)
    {
        Layout.Open();
        await _lease.TakeAsync(stop).ConfigureAwait(false);
        int stale = Layout.RemoveStaleTemporaries(DateTime.UtcNow) + new StateSweep(_lease.Owners).RemoveTemporaries();
        if (stale > 0) _root.Log.LogInformation("{Root}: removed {Count} temporary files left by an interrupted write", _root.Path, stale);
        int spooled = Video.VideoSpool.Prune(Layout.RootDir, Layout.ProcessingDir);
        if (spooled > 0) _root.Log.LogInformation("{Root}: removed {Count} video spool entries whose input has left processing/", _root.Path, spooled);
        InboxMetrics.Register(Index, () => _inbox.Scanner.Seen);
        int orphans = _orphans.Queue(DateTime.UtcNow);
        if (orphans > 0) _root.Log.LogInformation("{Root}: resuming {Count} jobs found in processing/", _root.Path, orphans);
    }

    /// <summary>One poll: unless a pause holds it, take over orphans, then claim resumed files, then scanned ones.</summary>
    private async Task PassAsync(CancellationToken stop)
    {
        DateTime now = DateTime.UtcNow;
        if (_health.Paused(now)) return; // the root was unusable: look again when the pause ends
        if (!_lease.Visible)
        {
            // Its path no longer shows this daemon's lease: the folder was removed, renamed or replaced since start. (A lease
            // that cannot be written only makes it not ready: claims go on, and a full disk pauses them.)
            _ = _health.Unhealthy($"{_root.Path}: the watch root is gone or was replaced since start", now);
            return;
        }
        if (_orphans.QueueIfDue(now) is > 0 and var taken)
            _root.Log.LogInformation("{Root}: {Count} claims in processing/ belong to no live daemon (lease expired); taking them over", _root.Path, taken);
        if (_health.ResultsPaused(now)) return; // the disk was full: claim nothing until the pause ends
        // Results could not be written: claim nothing until a probe says they can again.
        if (!await _health.ResultsWritableAsync(stop).ConfigureAwait(false)) return;
        await _orphans.ClaimAsync(stop).ConfigureAwait(false);
        if (_orphans.Pending == 0) await _inbox.ScanAndClaimAsync(stop).ConfigureAwait(false);
        _health.Healthy();
    }

    public void ReturnUnstarted() => _claims.Set.ReturnUnstarted();

    public void CancelAll() => _claims.Set.CancelAll();

    public Task WaitIdleAsync(CancellationToken ct) => _claims.Set.WaitIdleAsync(ct);

    public async ValueTask DisposeAsync()
    {
        InboxMetrics.Unregister(Index);
        await _lease.DisposeAsync().ConfigureAwait(false); // what stays in processing/ is free for a peer (or the next start) at once
        _wake.Dispose();
        Layout.Dispose();
    }

    private void Changed()
    {
        _inbox.Scanner.Changed();
        Wake();
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0) _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // A job settled after the intake was disposed: nobody is waiting any more.
        }
    }
}
