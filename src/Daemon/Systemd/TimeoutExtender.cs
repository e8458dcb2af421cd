using Microsoft.Extensions.Logging.Abstractions;

namespace ResShift.Daemon.Systemd;

/// <summary>
/// Keeps asking systemd for more start (or stop) time while a long step runs, e.g. loading models and
/// building TensorRT engines. Each message grants <c>step</c> from now and is renewed every step/2, so
/// the deadline always stays at least step/2 ahead. Dispose when the step is done; the last grant then
/// simply runs out. Created by <see cref="SystemdNotifierExtensions.ExtendTimeoutWhile"/>.
/// </summary>
public sealed class TimeoutExtender : IDisposable
{
    private readonly PeriodicThread? _renewer;

    internal TimeoutExtender(SystemdNotifier notifier, TimeSpan step)
    {
        if (!notifier.IsEnabled) return;
        notifier.ExtendTimeout(step); // before the constructor returns: the step may start at once
        TimeSpan period = step / 2;
        _renewer = new PeriodicThread("systemd-extend-timeout", period, period, () => notifier.ExtendTimeout(step), NullLogger.Instance);
    }

    public void Dispose() => _renewer?.Dispose();
}
