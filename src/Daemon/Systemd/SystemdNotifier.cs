using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ResShift.Daemon.Systemd;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram of newline-separated KEY=VALUE assignments to
/// <c>$NOTIFY_SOCKET</c>. A no-op when the service is not started by systemd (<see cref="IsEnabled"/> false).
/// Sending never throws and never blocks: systemd being away, or not reading (a full receive queue, Linux's
/// <c>max_dgram_qlen</c>), must not take the daemon down nor stall the watchdog thread or the shutdown.
/// A notification that cannot be queued is dropped and counted in <see cref="Dropped"/>.
/// </summary>
public sealed class SystemdNotifier
{
    public const string SocketVariable = "NOTIFY_SOCKET";

    private readonly UnixDomainSocketEndPoint? _endpoint;
    private readonly ILogger _logger;
    private int _failing; // 1 after a failed send: log the first failure loudly, repeats quietly
    private int _droppingLogged; // 1 once a full queue was reported: logged once per process
    private long _dropped;

    /// <param name="notifySocket">The <c>$NOTIFY_SOCKET</c> value; null or empty disables notifications.</param>
    public SystemdNotifier(string? notifySocket, ILogger<SystemdNotifier>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        SocketPath = string.IsNullOrEmpty(notifySocket) ? null : notifySocket;
        _endpoint = NotifySocketAddress.TryParse(SocketPath);
        if (SocketPath is not null && _endpoint is null)
            _logger.LogWarning("NOTIFY_SOCKET={Socket} is not a supported address; systemd notifications are off", SocketPath);
    }

    /// <summary>Reads <c>$NOTIFY_SOCKET</c> from the process environment.</summary>
    public static SystemdNotifier FromEnvironment(ILogger<SystemdNotifier>? logger = null) =>
        new(Environment.GetEnvironmentVariable(SocketVariable), logger);

    /// <summary>True when started by systemd with a usable notify socket.</summary>
    public bool IsEnabled => _endpoint is not null;

    public string? SocketPath { get; }

    /// <summary>Notifications dropped because the receiver's queue was full (the sender never waits for room).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Start-up finished: systemd moves the unit to "active" and starts enforcing WatchdogSec.</summary>
    public bool Ready() => Notify("READY=1");

    /// <summary>Free-form text for <c>systemctl status</c>; line breaks are flattened (a newline would start a new assignment).</summary>
    public bool Status(string text) => Notify("STATUS=" + text);

    /// <summary>Shutdown begun (draining); systemd shows "deactivating" and stops the watchdog.</summary>
    public bool Stopping() => Notify("STOPPING=1");

    /// <summary>Configuration reload begun; send <see cref="Ready"/> when done. MONOTONIC_USEC lets Type=notify-reload match it.</summary>
    public bool Reloading() => Notify("RELOADING=1", "MONOTONIC_USEC=" + MonotonicMicroseconds().ToString(CultureInfo.InvariantCulture));

    /// <summary>Keep-alive for WatchdogSec=; normally sent by <see cref="WatchdogHeartbeat"/>, not by hand.</summary>
    public bool Watchdog() => Notify("WATCHDOG=1");

    /// <summary>Asks for <paramref name="extra"/> more time from now on the current start/stop timeout.</summary>
    public bool ExtendTimeout(TimeSpan extra) =>
        Notify("EXTEND_TIMEOUT_USEC=" + ToMicroseconds(extra).ToString(CultureInfo.InvariantCulture));

    /// <summary>Tells systemd which process is the main one (only needed when it is not the started one).</summary>
    public bool MainPid(int pid) => Notify("MAINPID=" + pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Sends one datagram holding all <paramref name="assignments"/> (each KEY=VALUE). Line breaks inside
    /// values are replaced by spaces so a value can never smuggle in another assignment.
    /// Returns false when disabled, when sending failed (logged) or when the receiver's queue was full (dropped, counted).
    /// </summary>
    public bool Notify(params string[] assignments)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        if (assignments.Length == 0) throw new ArgumentException("at least one assignment is needed", nameof(assignments));
        foreach (string a in assignments)
            if (a is null || a.IndexOf('=') <= 0) throw new ArgumentException($"'{a}' is not KEY=VALUE", nameof(assignments));
        if (_endpoint is null) return false;

        byte[] datagram = Encoding.UTF8.GetBytes(string.Join('\n', assignments.Select(Flatten)));
        try
        {
            // A fresh unbound socket per message, as libsystemd does: nothing to repair after systemd restarts.
            // Non-blocking: a blocking sendto to a full queue waits in unix_wait_for_peer for as long as nobody reads.
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
            socket.SendTo(datagram, SocketFlags.None, _endpoint);
            if (Interlocked.Exchange(ref _failing, 0) == 1)
                _logger.LogInformation("systemd notifications to {Socket} work again", SocketPath);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
            long dropped = Interlocked.Increment(ref _dropped);
            if (Interlocked.Exchange(ref _droppingLogged, 1) == 0)
                _logger.LogWarning("sd_notify to {Socket}: the receiver's queue is full, dropping {Message} (and counting later drops; reported once)", SocketPath, assignments[0]);
            else
                _logger.LogDebug("sd_notify to {Socket}: queue full, {Dropped} notifications dropped so far", SocketPath, dropped);
            return false;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            if (Interlocked.Exchange(ref _failing, 1) == 0)
                _logger.LogWarning(e, "sd_notify to {Socket} failed ({Message}); the service keeps running", SocketPath, assignments[0]);
            else
                _logger.LogDebug(e, "sd_notify to {Socket} failed again", SocketPath);
            return false;
        }
    }

    private static string Flatten(string assignment) =>
        assignment.Contains('\n') || assignment.Contains('\r')
            ? assignment.Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' ')
            : assignment;

    internal static long ToMicroseconds(TimeSpan t) => t <= TimeSpan.Zero ? 0 : t.Ticks / (TimeSpan.TicksPerMillisecond / 1000);

    // On Linux Stopwatch reads CLOCK_MONOTONIC, the clock systemd compares MONOTONIC_USEC against.
    private static long MonotonicMicroseconds() => ToMicroseconds(Stopwatch.GetElapsedTime(0));
}
