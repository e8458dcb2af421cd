namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// A pause that doubles on each failure (1 s, 2 s, 4 s, ... up to a ceiling) and ends on the first success:
/// claiming stops while the disk is full, instead of failing every waiting input in a few seconds.
/// Not Polly: this is a "paused until" state the scan loop consults and several places fail or clear, not a retry
/// around one call, and Polly's circuit breaker cannot open on a single failure (MinimumThroughput is at least 2).
/// </summary>
public sealed class Backoff(TimeSpan first, TimeSpan ceiling)
{
    private readonly object _gate = new();
    private TimeSpan _next = first;
    private readonly TimeSpan _first = first;
    private DateTime _until = DateTime.MinValue;

    /// <summary>Records a failure; the pause it starts.</summary>
    public TimeSpan Fail(DateTime nowUtc)
    {
        lock (_gate)
        {
            TimeSpan pause = _next;
            _until = nowUtc + pause;
            _next = TimeSpan.FromTicks(Math.Min(ceiling.Ticks, _next.Ticks * 2));
            return pause;
        }
    }

    public void Succeed()
    {
        lock (_gate)
        {
            _next = _first;
            _until = DateTime.MinValue;
        }
    }

    public bool Paused(DateTime nowUtc)
    {
        lock (_gate) return nowUtc < _until;
    }
}
