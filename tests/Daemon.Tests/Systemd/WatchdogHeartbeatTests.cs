using ResShift.Daemon.Systemd;

namespace ResShift.Daemon.Tests.Systemd;

/// <summary>
/// Real sockets and real time, kept short: WATCHDOG_USEC=200000 (pings every 100 ms) and a 300 ms stall limit.
/// </summary>
public class WatchdogHeartbeatTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan StallLimit = TimeSpan.FromMilliseconds(300);

    private static WatchdogHeartbeat Heartbeat(NotifyListener listener, Func<bool> pending) =>
        new(new SystemdNotifier(listener.NotifySocket), WatchdogSettings.Read(name => name == WatchdogSettings.UsecVariable ? "200000" : null, 1), pending, StallLimit);

    [Fact]
    public async Task PingsWhileProgressIsRecorded()
    {
        using var listener = NotifyListener.AtPath();
        await using var heartbeat = Heartbeat(listener, () => true);
        using var cts = new CancellationTokenSource();
        Task worker = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                heartbeat.Progress();
                await Task.Delay(50);
            }
        });

        heartbeat.Start();
        // Arrival times, not a count in a window: a loaded machine delays pings, but a heartbeat that ignored
        // progress would fall silent at the 300 ms stall limit and send nothing after it.
        var started = DateTime.UtcNow;
        var pings = new List<(string Text, TimeSpan At)>();
        var until = started + TimeSpan.FromMilliseconds(1200);
        for (TimeSpan left; (left = until - DateTime.UtcNow) > TimeSpan.Zero;)
            if (listener.Receive(left) is { } d) pings.Add((d, DateTime.UtcNow - started));
        cts.Cancel();
        await worker;

        Assert.All(pings, p => Assert.Equal("WATCHDOG=1", p.Text));
        Assert.Contains(pings, p => p.At > StallLimit + TimeSpan.FromMilliseconds(400)); // still pinging well past the stall limit
        Assert.InRange(pings.Count, 3, 16); // about one per 100 ms period: never a burst per Progress() call
    }

    [Fact]
    public async Task StallWithPendingWorkStopsPingsAndProgressResumesThem()
    {
        using var listener = NotifyListener.AtPath();
        await using var heartbeat = Heartbeat(listener, () => true);

        heartbeat.Start();
        Assert.Equal("WATCHDOG=1", listener.ReceiveOrFail(TimeSpan.FromSeconds(1))); // start-up counts as progress
        await Task.Delay(StallLimit + TimeSpan.FromMilliseconds(150));
        Assert.False(heartbeat.IsHealthy);
        listener.Drain();

        Assert.Empty(listener.Collect(TimeSpan.FromMilliseconds(500))); // five periods, not one ping

        heartbeat.Progress();
        Assert.True(heartbeat.IsHealthy);
        Assert.Equal("WATCHDOG=1", listener.ReceiveOrFail(TimeSpan.FromMilliseconds(500))); // next tick
    }

    [Fact]
    public async Task IdleDaemonKeepsFeedingTheWatchdog()
    {
        using var listener = NotifyListener.AtPath();
        await using var heartbeat = Heartbeat(listener, () => false);

        heartbeat.Start();
        await Task.Delay(StallLimit + TimeSpan.FromMilliseconds(100)); // no progress at all, long past the limit
        listener.Drain();

        Assert.True(heartbeat.IsHealthy);
        Assert.InRange(listener.Collect(TimeSpan.FromMilliseconds(500)).Count, 3, 7);
    }

    /// <summary>Defect 6: a quiet period longer than the stall limit must not make the first new job "stalled".</summary>
    [Fact]
    public async Task QuietTimeNeverCountsAsStall()
    {
        // A 1 s limit (pings every 100 ms) leaves room for a busy machine's scheduling delays.
        TimeSpan limit = TimeSpan.FromSeconds(1);
        using var listener = NotifyListener.AtPath();
        bool pending = false;
        await using var heartbeat = new WatchdogHeartbeat(new SystemdNotifier(listener.NotifySocket), Interval, () => Volatile.Read(ref pending), limit);
        heartbeat.Start();
        await Task.Delay(limit * 2.5); // idle, no progress and nobody calling Idle()

        Volatile.Write(ref pending, true); // work arrives
        Assert.True(heartbeat.IsHealthy, $"stalled on arrival: {heartbeat.SinceProgress} counted since the last progress");
        listener.Drain();
        List<string> pings = listener.Collect(limit / 2); // the first ticks with work pending still ping
        Assert.NotEmpty(pings);
        Assert.All(pings, p => Assert.Equal("WATCHDOG=1", p));

        // ...and a real stall is still caught, measured from when the work arrived.
        await Task.Delay(limit);
        Assert.False(heartbeat.IsHealthy);
    }

    [Fact]
    public async Task WorkArrivingAfterIdleIsMeasuredFromTheLastIdleMark()
    {
        using var listener = NotifyListener.AtPath();
        bool pending = true;
        await using var heartbeat = Heartbeat(listener, () => Volatile.Read(ref pending));
        heartbeat.Start();
        await Task.Delay(StallLimit + TimeSpan.FromMilliseconds(100));
        Assert.False(heartbeat.IsHealthy); // pending all along: stalled

        heartbeat.Idle(); // the host saw empty queues just before more work came in
        Assert.True(heartbeat.IsHealthy);
        await Task.Delay(StallLimit + TimeSpan.FromMilliseconds(100));
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
        await using var heartbeat = Heartbeat(listener, () => throw new InvalidOperationException("bug"));
        heartbeat.Start();
        await Task.Delay(StallLimit + TimeSpan.FromMilliseconds(150));
        listener.Drain();

        Assert.False(heartbeat.IsHealthy);
        Assert.Empty(listener.Collect(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task StopEndsThePings()
    {
        using var listener = NotifyListener.AtPath();
        var heartbeat = Heartbeat(listener, () => false);
        heartbeat.Start();
        listener.ReceiveOrFail(TimeSpan.FromSeconds(1));

        await heartbeat.StopAsync();
        listener.Drain();

        Assert.Empty(listener.Collect(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task DisabledWithoutWatchdogOrSocket()
    {
        using var listener = NotifyListener.AtPath();
        await using var noInterval = new WatchdogHeartbeat(new SystemdNotifier(listener.NotifySocket), null, () => false, StallLimit);
        await using var noSocket = new WatchdogHeartbeat(new SystemdNotifier(null), Interval, () => false, StallLimit);

        Assert.False(noInterval.IsEnabled);
        Assert.False(noSocket.IsEnabled);
        noInterval.Start();
        noSocket.Start();
        noSocket.Progress();

        Assert.Empty(listener.Collect(TimeSpan.FromMilliseconds(250)));
    }
}
