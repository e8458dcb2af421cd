namespace ResShift.Daemon.Systemd;

/// <summary>
/// Keeps asking systemd for more start (or stop) time while a long step runs, e.g. loading and
/// compiling engines. Each message grants <c>step</c> from now and is renewed every step/2, so the
/// deadline always stays at least step/2 ahead. Dispose when the step is done.
/// Created by <see cref="SystemdNotifierExtensions.ExtendTimeoutWhile"/>.
/// </summary>
public sealed class TimeoutExtender : IDisposable
{
    private readonly ITimer? _timer;
    private volatile bool _disposed;

    internal TimeoutExtender(SystemdNotifier notifier, TimeSpan step, TimeProvider time)
    {
        if (!notifier.IsEnabled) return;
        // Renewals run on the timer thread; the first one goes out before the constructor returns.
        notifier.ExtendTimeout(step);
        TimeSpan period = step / 2;
        _timer = time.CreateTimer(_ =>
        {
            if (!_disposed) notifier.ExtendTimeout(step);
        }, null, period, period);
    }

    /// <summary>Stops renewing; the last extension simply runs out.</summary>
    public void Dispose()
    {
        _disposed = true;
        _timer?.Dispose();
    }
}
