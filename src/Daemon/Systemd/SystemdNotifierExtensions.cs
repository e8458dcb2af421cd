namespace ResShift.Daemon.Systemd;

public static class SystemdNotifierExtensions
{
    /// <summary>
    /// <c>using (notifier.ExtendTimeoutWhile(TimeSpan.FromSeconds(60))) { load engines }</c>: keeps pushing
    /// the TimeoutStartSec (or, during shutdown, TimeoutStopSec) deadline out while the block runs.
    /// A no-op without systemd.
    /// </summary>
    public static TimeoutExtender ExtendTimeoutWhile(this SystemdNotifier notifier, TimeSpan step)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, TimeSpan.FromMilliseconds(2));
        return new TimeoutExtender(notifier, step);
    }
}
