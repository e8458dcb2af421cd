namespace ResShift.Daemon.Tests.Systemd;

/// <summary>A clock that moves only when the test says so (timestamps only: what WatchdogHeartbeat reads).</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks = TimeSpan.TicksPerDay;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>
/// The heartbeat's pending-work probe, counting the calls made by its ping thread: each tick calls it once,
/// before it decides whether to ping, so n + 1 calls seen means n whole ticks (and their pings) are done. Tests
/// wait on these ticks instead of on the real clock to prove that something was not sent.
/// </summary>
internal sealed class TickProbe(Func<bool> pending)
{
    private const string PingThread = "systemd-watchdog";
    private int _ticks;

    public int Ticks => Volatile.Read(ref _ticks);

    public bool Call()
    {
        if (Thread.CurrentThread.Name == PingThread) Interlocked.Increment(ref _ticks);
        return pending();
    }

    /// <summary>Waits until <paramref name="count"/> whole ticks after this call are done (their pings sent).</summary>
    public async Task WholeTicks(int count)
    {
        int target = Ticks + count + 1;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Ticks < target)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the ping thread ticked {Ticks} times, waited for {target}");
            await Task.Delay(5);
        }
    }
}
