using ResShift.Daemon.Systemd;

namespace ResShift.Daemon.Tests.Systemd;

/// <summary>
/// Real sockets and a real ping thread (WATCHDOG_USEC=200000: a tick every 100 ms), but the heartbeat's clock is
/// a <see cref="ManualClock"/> that the test moves past the 300 ms stall limit, and every "no ping" is proven
/// after whole ticks of the ping thread (<see cref="TickProbe"/>), not after a sleep.
/// </summary>
public class WatchdogHeartbeatTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan StallLimit = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan PastTheLimit = StallLimit + TimeSpan.FromMilliseconds(1);

    private static WatchdogHeartbeat Heartbeat(NotifyListener listener, TickProbe probe, ManualClock clock, TimeSpan? interval = null) =>
        new(new SystemdNotifier(listener.NotifySocket), interval ?? WatchdogSettings.Read(name => name == WatchdogSettings.UsecVariable ? "200000" : null, 1),
            probe.Call, StallLimit, clock);

    [Fact]
    public async Task PingsWhileProgressIsRecorded()
    {
        using var listener = NotifyListener.AtPath();
        var clock = new ManualClock();
        var probe = new TickProbe(() => true);
        await using var heartbeat = Heartbeat(listener, probe, clock);
        heartbeat.Start();

        // Far past the stall limit in all, but progress every 100 ms (three calls each): every tick pings, once.
        for (int i = 0; i < 12; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            for (int k = 0; k < 3; k++) heartbeat.Progress();
            await probe.WholeTicks(1);
        }
        Assert.True(heartbeat.IsHealthy);
        await heartbeat.StopAsync(); // joins the ping thread: every tick it started is done
        List<string> pings = listener.TakeAll();
        Assert.All(pings, p => Assert.Equal("WATCHDOG=1", p));
        Assert.True(probe.Ticks >= 13, $"{probe.Ticks} ticks");
        Assert.Equal(probe.Ticks, pings.Count); // one per tick: never skipped, never a burst per Progress() call
    }

    [Fact]
    public async Task StallWithPendingWorkStopsPingsAndProgressResumesThem()
    {
        using var listener = NotifyListener.AtPath();
        var clock = new ManualClock();
        var probe = new TickProbe(() => true);
        await using var heartbeat = Heartbeat(listener, probe, clock);

        heartbeat.Start();
        Assert.Equal("WATCHDOG=1", listener.ReceiveOrFail(TimeSpan.FromSeconds(10))); // start-up counts as progress
        clock.Advance(PastTheLimit);
        Assert.False(heartbeat.IsHealthy);
        await probe.WholeTicks(1); // a tick that saw the stall
        listener.Drain();

        await probe.WholeTicks(5); // five periods, not one ping
        Assert.Empty(listener.TakeAll());

        heartbeat.Progress();
        Assert.True(heartbeat.IsHealthy);
        Assert.Equal("WATCHDOG=1", listener.ReceiveOrFail(TimeSpan.FromSeconds(10))); // next tick
    }

    [Fact]
    public async Task IdleDaemonKeepsFeedingTheWatchdog()
    {
        using var listener = NotifyListener.AtPath();
        var clock = new ManualClock();
        var probe = new TickProbe(() => false);
        await using var heartbeat = Heartbeat(listener, probe, clock);

        heartbeat.Start();
        clock.Advance(StallLimit * 10); // no progress at all, long past the limit
        await probe.WholeTicks(4);
        Assert.True(heartbeat.IsHealthy);
        await heartbeat.StopAsync();
        Assert.Equal(probe.Ticks, listener.TakeAll().Count); // every tick pinged
    }

    /// <summary>Defect 6: a quiet period longer than the stall limit must not make the first new job "stalled".</summary>
    [Fact]
    public async Task QuietTimeNeverCountsAsStall()
    {
        using var listener = NotifyListener.AtPath();
        var clock = new ManualClock();
        bool pending = false;
        var probe = new TickProbe(() => Volatile.Read(ref pending));
        await using var heartbeat = Heartbeat(listener, probe, clock, Interval);
        heartbeat.Start();
        for (int i = 0; i < 5; i++) // idle for 2.5 stall limits, no progress and nobody calling Idle(): the ticks mark idle
        {
            clock.Advance(StallLimit / 2);
            await probe.WholeTicks(1);
        }

        Volatile.Write(ref pending, true); // work arrives
        Assert.True(heartbeat.IsHealthy, $"stalled on arrival: {heartbeat.SinceProgress} counted since the last progress");
        listener.Drain();
        await probe.WholeTicks(2); // the first ticks with work pending still ping
        List<string> pings = listener.TakeAll();
        Assert.True(pings.Count >= 2, $"{pings.Count} pings");
        Assert.All(pings, p => Assert.Equal("WATCHDOG=1", p));

        // ...and a real stall is still caught, measured from when the work arrived.
        clock.Advance(PastTheLimit);
        Assert.False(heartbeat.IsHealthy);
    }

    [Fact]
    public async Task WorkArrivingAfterIdleIsMeasuredFromTheLastIdleMark()
    {
        using var listener = NotifyListener.AtPath();
        var clock = new ManualClock();
        var probe = new TickProbe(() => true);
        await using var heartbeat = Heartbeat(listener, probe, clock);
        heartbeat.Start();
        clock.Advance(PastTheLimit);
        Assert.False(heartbeat.IsHealthy); // pending all along: stalled

        heartbeat.Idle(); // the host saw empty queues just before more work came in
        Assert.True(heartbeat.IsHealthy);
        clock.Advance(StallLimit);
        Assert.True(heartbeat.IsHealthy); // exactly at the limit: still fine
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(heartbeat.IsHealthy);
    }

    /// <summary>Defect 8: a notify socket nobody reads must not hold the ping thread, so stopping never hangs.</summary>
    [Fact]
    public async Task AnUnreadNotifySocketNeitherBlocksPingsNorStop()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rs-unread-{Guid.NewGuid():N}.sock");
        using var unread = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        unread.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        try
        {
            var notifier = new SystemdNotifier(path);
            // 2 ms interval: a ping every millisecond fills a 10-datagram queue at once.
            var heartbeat = new WatchdogHeartbeat(notifier, TimeSpan.FromMilliseconds(2), () => false, StallLimit);
            heartbeat.Start();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (notifier.Dropped < 5 && DateTime.UtcNow < deadline) await Task.Delay(10);
            Assert.True(notifier.Dropped >= 5, $"only {notifier.Dropped} pings dropped: the ping thread is stuck in a send");

            Task stop = heartbeat.StopAsync().AsTask();
            Assert.True(await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(5))) == stop, "StopAsync hung on a full notify socket");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task AThrowingPendingWorkProbeCountsAsUnhealthy()
    {
        using var listener = NotifyListener.AtPath();
        var clock = new ManualClock();
        var probe = new TickProbe(() => throw new InvalidOperationException("bug"));
        await using var heartbeat = Heartbeat(listener, probe, clock);
        heartbeat.Start();
        await probe.WholeTicks(1);
        Assert.True(heartbeat.IsHealthy); // within the stall limit a throwing probe still pings
        Assert.Contains("WATCHDOG=1", listener.TakeAll());

        clock.Advance(PastTheLimit);
        await probe.WholeTicks(1);
        listener.Drain();
        await probe.WholeTicks(3);
        Assert.False(heartbeat.IsHealthy);
        Assert.Empty(listener.TakeAll());
    }

    /// <summary>
    /// Stopped or disabled heartbeats send nothing: proven while another heartbeat on the same socket ticks (and
    /// pings) several times, with the silent ones' probes never called from a ping thread.
    /// </summary>
    [Fact]
    public async Task StopEndsThePings()
    {
        using var listener = NotifyListener.AtPath();
        var clock = new ManualClock();
        var stoppedProbe = new TickProbe(() => false);
        var heartbeat = Heartbeat(listener, stoppedProbe, clock);
        heartbeat.Start();
        listener.ReceiveOrFail(TimeSpan.FromSeconds(10));

        await heartbeat.StopAsync();
        int ticksAtStop = stoppedProbe.Ticks;
        var witnessProbe = new TickProbe(() => false);
        await using (var witness = Heartbeat(listener, witnessProbe, clock))
        {
            witness.Start();
            await witnessProbe.WholeTicks(3);
        }
        Assert.Equal(ticksAtStop, stoppedProbe.Ticks);
    }

    [Fact]
    public async Task DisabledWithoutWatchdogOrSocket()
    {
        using var listener = NotifyListener.AtPath();
        var clock = new ManualClock();
        var silent = new TickProbe(() => false);
        await using var noInterval = new WatchdogHeartbeat(new SystemdNotifier(listener.NotifySocket), null, silent.Call, StallLimit, clock);
        await using var noSocket = new WatchdogHeartbeat(new SystemdNotifier(null), Interval, silent.Call, StallLimit, clock);

        Assert.False(noInterval.IsEnabled);
        Assert.False(noSocket.IsEnabled);
        noInterval.Start();
        noSocket.Start();
        noSocket.Progress();

        var witnessProbe = new TickProbe(() => false);
        await using (var witness = Heartbeat(listener, witnessProbe, clock))
        {
            witness.Start();
            await witnessProbe.WholeTicks(3);
        }
        Assert.Equal(0, silent.Ticks);
        Assert.Equal(witnessProbe.Ticks, listener.TakeAll().Count); // the witness's pings only
    }
}
