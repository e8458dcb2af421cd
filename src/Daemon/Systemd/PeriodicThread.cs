using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ResShift.Daemon.Systemd;

/// <summary>
/// Runs an action every period on its own background thread. Watchdog pings and timeout extensions must
/// not depend on the thread pool: a pool saturated by CPU inference would delay timer callbacks and get a
/// healthy daemon killed. Whether the pipeline is healthy is decided by the action, not by this thread.
/// </summary>
internal sealed class PeriodicThread : IDisposable
{
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private readonly TimeSpan _period;
    private readonly Action _tick;
    private readonly ILogger _logger;
    private int _disposed;

    /// <param name="firstAfter">Delay before the first run (zero: at once).</param>
    public PeriodicThread(string name, TimeSpan firstAfter, TimeSpan period, Action tick, ILogger logger)
    {
        _period = period;
        _tick = tick;
        _logger = logger;
        _thread = new Thread(() => Loop(firstAfter)) { IsBackground = true, Name = name };
        _thread.Start();
    }

    private void Loop(TimeSpan firstAfter)
    {
        long next = Stopwatch.GetTimestamp() + ToTimestamp(firstAfter);
        while (true)
        {
            TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero && _stop.Wait(wait)) return;
            if (_stop.IsSet) return;
            try
            {
                _tick();
            }
            catch (Exception e)
            {
                _logger.LogError(e, "{Thread} failed; it keeps running", _thread.Name);
            }
            // Fixed rate; after a long stall (suspended VM) skip the missed runs rather than burst.
            next += ToTimestamp(_period);
            long now = Stopwatch.GetTimestamp();
            if (next < now) next = now + ToTimestamp(_period);
        }
    }

    private static long ToTimestamp(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Stops the thread and waits for a run in progress, so nothing is sent after this returns.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Set();
        if (Thread.CurrentThread != _thread) _thread.Join();
    }
}
