using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ResShift.Daemon.Systemd;

/// <summary>
/// Feeds systemd's watchdog only while the pipeline is healthy, so that WatchdogSec= catches a stuck
/// engine and not merely a dead process. Healthy means: no work is pending (an idle daemon is fine),
/// or progress was reported within the stall limit. Every time the heartbeat finds nothing pending it
/// marks the pipeline idle, so quiet time never counts as stall: the limit runs from the later of the last
/// progress and the last idle mark, i.e. from (at most one ping period before) the moment work arrived.
/// Once work is pending and nothing has moved for longer than the stall limit, WATCHDOG=1 stops; systemd
/// kills the service one WatchdogSec later and Restart=on-watchdog brings it back. Pings go out at half the
/// interval, as sd_watchdog_enabled(3) advises.
/// </summary>
public sealed class WatchdogHeartbeat : IHostedService, IAsyncDisposable, IDisposable
{
    /// <summary>Longer than the slowest batch we expect (a large tile batch on CPU), short enough to notice a hang.</summary>
    public static readonly TimeSpan DefaultStallLimit = TimeSpan.FromMinutes(5);

    private readonly SystemdNotifier _notifier;
    private readonly Func<bool> _hasPendingWork;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private PeriodicThread? _pinger;
    private long _lastProgress;
    private int _stalled;

    /// <param name="notifier">Where WATCHDOG=1 goes.</param>
    /// <param name="interval">WatchdogSec as systemd passed it (<see cref="WatchdogSettings.FromEnvironment"/>); null = no watchdog.</param>
    /// <param name="hasPendingWork">True while jobs or tiles are queued or in flight. Called from the ping thread; must be cheap and thread-safe.</param>
    /// <param name="stallLimit">How long pending work may go without progress before the pipeline counts as stuck.</param>
    /// <param name="timeProvider">Clock for progress timestamps (tests); pings always run on a dedicated thread.</param>
    public WatchdogHeartbeat(
        SystemdNotifier notifier,
        TimeSpan? interval,
        Func<bool> hasPendingWork,
        TimeSpan stallLimit,
        TimeProvider? timeProvider = null,
        ILogger<WatchdogHeartbeat>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(hasPendingWork);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stallLimit, TimeSpan.Zero);
        if (interval is { } i) ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(i, TimeSpan.Zero, nameof(interval));
        _notifier = notifier;
        Interval = interval;
        _hasPendingWork = hasPendingWork;
        StallLimit = stallLimit;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _lastProgress = _time.GetTimestamp();
    }

    public TimeSpan? Interval { get; }

    public TimeSpan StallLimit { get; }

    /// <summary>True when systemd asked for a watchdog and there is a socket to feed it through.</summary>
    public bool IsEnabled => Interval is not null && _notifier.IsEnabled;

    /// <summary>The pipeline moved: a batch or a job finished. Cheap enough for every batch.</summary>
    public void Progress() => Interlocked.Exchange(ref _lastProgress, _time.GetTimestamp());

    /// <summary>
    /// Nothing is pending. Counts like progress, so a stall is measured from the moment work arrived
    /// rather than from the last job of yesterday. The heartbeat marks this itself whenever it finds no
    /// pending work; a host may call it too.
    /// </summary>
    public void Idle() => Progress();

    /// <summary>How long since the last <see cref="Progress"/> or idle mark.</summary>
    public TimeSpan SinceProgress => _time.GetElapsedTime(Interlocked.Read(ref _lastProgress));

    /// <summary>
    /// Whether a ping would be sent now; finding no pending work marks the pipeline idle. A throwing
    /// <c>hasPendingWork</c> counts as work pending, so it turns unhealthy once the stall limit has passed.
    /// </summary>
    public bool IsHealthy
    {
        get
        {
            bool pending;
            try
            {
                pending = _hasPendingWork();
            }
            catch (Exception e)
            {
                if (SinceProgress <= StallLimit) return true;
                _logger.LogError(e, "hasPendingWork threw; treating the pipeline as unhealthy");
                return false;
            }
            if (!pending)
            {
                Idle();
                return true;
            }
            return SinceProgress <= StallLimit;
        }
    }

    /// <summary>Starts pinging (immediately, then every Interval/2). Call it right after <see cref="SystemdNotifier.Ready"/>. No-op when disabled.</summary>
    public void Start()
    {
        if (!IsEnabled) return;
        lock (_gate)
        {
            if (_pinger is not null) return;
            Progress(); // start-up counts as progress: pending work gets a full stall limit
            _pinger = new PeriodicThread("systemd-watchdog", TimeSpan.Zero, HalfOf(Interval!.Value), Tick, _logger);
        }
        _logger.LogInformation("systemd watchdog: ping every {Period}, stall limit {Stall}", HalfOf(Interval!.Value), StallLimit);
    }

    /// <summary>Stops pinging and waits for a ping in progress. systemd stops the watchdog once the unit is stopping, so this may run early in shutdown.</summary>
    public ValueTask StopAsync()
    {
        PeriodicThread? pinger;
        lock (_gate)
        {
            pinger = _pinger;
            _pinger = null;
        }
        pinger?.Dispose(); // joins: at most one ping in flight, microseconds
        return ValueTask.CompletedTask;
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        Start();
        return Task.CompletedTask;
    }

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => StopAsync().AsTask();

    public ValueTask DisposeAsync() => StopAsync();

    public void Dispose() => StopAsync().AsTask().GetAwaiter().GetResult();

    private void Tick()
    {
        if (IsHealthy)
        {
            if (Interlocked.Exchange(ref _stalled, 0) == 1)
                _logger.LogWarning("Pipeline progressing again; resuming systemd watchdog pings");
            _notifier.Watchdog();
        }
        else if (Interlocked.Exchange(ref _stalled, 1) == 0)
        {
            _logger.LogError(
                "Pipeline stalled: work pending and no progress for {Elapsed} (limit {Limit}); withholding watchdog pings, systemd will restart the service after WatchdogSec",
                SinceProgress, StallLimit);
        }
    }

    private static TimeSpan HalfOf(TimeSpan interval)
    {
        // TimeSpan.MaxValue means "never" in practice; the timer still needs a finite period.
        TimeSpan half = interval >= TimeSpan.FromDays(1) ? TimeSpan.FromHours(12) : interval / 2;
        return half < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : half;
    }
}
