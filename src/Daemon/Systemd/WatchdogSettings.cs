using System.Globalization;

namespace ResShift.Daemon.Systemd;

/// <summary>The watchdog interval systemd asked for (WatchdogSec= arrives as <c>$WATCHDOG_USEC</c>).</summary>
public static class WatchdogSettings
{
    public const string UsecVariable = "WATCHDOG_USEC";
    public const string PidVariable = "WATCHDOG_PID";

    /// <summary>Reads the process environment for the current process.</summary>
    public static TimeSpan? FromEnvironment() =>
        Read(Environment.GetEnvironmentVariable, Environment.ProcessId);

    /// <summary>
    /// The interval, or null when there is no watchdog: unset, unparsable or zero WATCHDOG_USEC, or a
    /// WATCHDOG_PID naming another process (the variable was inherited from a parent that is supervised).
    /// </summary>
    public static TimeSpan? Read(Func<string, string?> environment, int pid)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? usec = environment(UsecVariable);
        if (!ulong.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out ulong us) || us == 0)
            return null;
        string? watchdogPid = environment(PidVariable);
        if (!string.IsNullOrEmpty(watchdogPid) &&
            (!int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p != pid))
            return null;
        // TimeSpan holds ~29k years; anything larger is "effectively infinite" anyway.
        return us >= (ulong)(TimeSpan.MaxValue.Ticks / 10) ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)us * 10);
    }
}
