using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Systemd;

namespace ResShift.Daemon.Tests.Systemd;

public class SystemdNotifierTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SendsEachNotificationAsOneExactDatagram(bool abstractSocket)
    {
        using var listener = abstractSocket ? NotifyListener.Abstract() : NotifyListener.AtPath();
        var notifier = new SystemdNotifier(listener.NotifySocket);
        Assert.True(notifier.IsEnabled);

        Assert.True(notifier.Ready());
        Assert.Equal("READY=1", listener.ReceiveOrFail());
        Assert.True(notifier.Status("serving: 3 jobs queued"));
        Assert.Equal("STATUS=serving: 3 jobs queued", listener.ReceiveOrFail());
        Assert.True(notifier.Watchdog());
        Assert.Equal("WATCHDOG=1", listener.ReceiveOrFail());
        Assert.True(notifier.ExtendTimeout(TimeSpan.FromSeconds(90)));
        Assert.Equal("EXTEND_TIMEOUT_USEC=90000000", listener.ReceiveOrFail());
        Assert.True(notifier.MainPid(4242));
        Assert.Equal("MAINPID=4242", listener.ReceiveOrFail());
        Assert.True(notifier.Stopping());
        Assert.Equal("STOPPING=1", listener.ReceiveOrFail());
        Assert.True(notifier.Notify("STATUS=draining", "ERRNO=0"));
        Assert.Equal("STATUS=draining\nERRNO=0", listener.ReceiveOrFail());
    }

    [Fact]
    public void ReloadingCarriesTheMonotonicClock()
    {
        using var listener = NotifyListener.AtPath();
        var notifier = new SystemdNotifier(listener.NotifySocket);
        long before = System.Diagnostics.Stopwatch.GetElapsedTime(0).Ticks / 10;

        Assert.True(notifier.Reloading());

        string[] lines = listener.ReceiveOrFail().Split('\n');
        Assert.Equal("RELOADING=1", lines[0]);
        Assert.StartsWith("MONOTONIC_USEC=", lines[1]);
        long usec = long.Parse(lines[1]["MONOTONIC_USEC=".Length..]);
        Assert.InRange(usec, before, before + 5_000_000);
    }

    [Fact]
    public void NewlinesInStatusCannotInjectAssignments()
    {
        using var listener = NotifyListener.AtPath();
        var notifier = new SystemdNotifier(listener.NotifySocket);

        notifier.Status("failed: bad input\nREADY=1\r\nWATCHDOG=1\rx");

        Assert.Equal("STATUS=failed: bad input READY=1 WATCHDOG=1 x", listener.ReceiveOrFail());
    }

    [Theory]
    [InlineData("READY")]
    [InlineData("=1")]
    [InlineData("")]
    public void MalformedAssignmentsAreRejected(string assignment)
    {
        var notifier = new SystemdNotifier(null);
        Assert.Throws<ArgumentException>(() => notifier.Notify(assignment));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("relative/notify.sock")]
    [InlineData("vsock:2:1234")]
    [InlineData("@")]
    public void WithoutAUsableSocketEverythingIsANoOp(string? notifySocket)
    {
        var notifier = new SystemdNotifier(notifySocket);

        Assert.False(notifier.IsEnabled);
        Assert.False(notifier.Ready());
        Assert.False(notifier.Status("x"));
        Assert.False(notifier.Watchdog());
        Assert.False(notifier.ExtendTimeout(TimeSpan.FromSeconds(1)));
        Assert.False(notifier.Stopping());
        using (notifier.ExtendTimeoutWhile(TimeSpan.FromMilliseconds(10))) { }
    }

    [Fact]
    public void FromEnvironmentReadsNotifySocket()
    {
        // Only reads the variable; whatever the test runner inherited decides IsEnabled.
        var notifier = SystemdNotifier.FromEnvironment();
        Assert.Equal(NotifySocketAddress.TryParse(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")) is not null, notifier.IsEnabled);
    }

    [Fact]
    public void AFailedSendReturnsFalseAndLaterSendsRecover()
    {
        string path;
        SystemdNotifier notifier;
        using (var listener = NotifyListener.AtPath())
        {
            path = listener.Path!;
            notifier = new SystemdNotifier(listener.NotifySocket);
            Assert.True(notifier.Ready());
        }
        Assert.False(File.Exists(path));

        Assert.False(notifier.Watchdog()); // socket gone: no exception
        Assert.False(notifier.Status("still alive"));

        // systemd comes back (daemon-reexec recreates the socket at the same path).
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        try
        {
            Assert.True(notifier.Watchdog());
            var buffer = new byte[64];
            Assert.True(socket.Poll(TimeSpan.FromSeconds(5), System.Net.Sockets.SelectMode.SelectRead));
            Assert.Equal("WATCHDOG=1", System.Text.Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ExtendTimeoutWhileRenewsUntilDisposed()
    {
        using var listener = NotifyListener.AtPath();
        var notifier = new SystemdNotifier(listener.NotifySocket);

        using (notifier.ExtendTimeoutWhile(TimeSpan.FromMilliseconds(200)))
        {
            Assert.Equal("EXTEND_TIMEOUT_USEC=200000", listener.ReceiveOrFail(TimeSpan.FromMilliseconds(50))); // sent at once
            List<string> renewals = listener.Collect(TimeSpan.FromMilliseconds(550)); // every 100 ms
            Assert.InRange(renewals.Count, 3, 7);
            Assert.All(renewals, r => Assert.Equal("EXTEND_TIMEOUT_USEC=200000", r));
        }
        listener.Collect(TimeSpan.FromMilliseconds(30)); // a renewal racing Dispose
        Assert.Empty(listener.Collect(TimeSpan.FromMilliseconds(300)));
    }

    /// <summary>
    /// systemd not reading its socket (hung, or a test that never drains) fills the receive queue. A blocking
    /// sendto would then wait in unix_wait_for_peer forever; the notifier must drop, count and log once.
    /// </summary>
    [Fact]
    public async Task AReceiverThatNeverReadsNeitherBlocksTheSenderNorFloodsTheLog()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rs-unread-{Guid.NewGuid():N}.sock");
        using var unread = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { ReceiveTimeout = 5000 };
        unread.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            var log = new RecordingLogger<SystemdNotifier>();
            var notifier = new SystemdNotifier(path, log);
            const int Sends = 200; // far beyond any max_dgram_qlen (10 by default) and the socket buffer
            var sending = Task.Factory.StartNew(() => Enumerable.Range(0, Sends).Count(_ => notifier.Watchdog()), TaskCreationOptions.LongRunning);

            Assert.True(await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(10))) == sending, "SendTo blocked on a full notify socket");
            int queued = await sending;
            Assert.InRange(queued, 1, Sends - 1);
            Assert.Equal(Sends - queued, notifier.Dropped);
            Assert.Equal(1, log.Count(LogLevel.Warning, "queue is full"));
            Assert.Equal(0, log.Count(LogLevel.Warning, "failed")); // a full queue is not a broken socket

            // Once systemd reads again, notifications go through.
            var buffer = new byte[64];
            for (int i = 0; i < queued; i++) Assert.Equal("WATCHDOG=1", System.Text.Encoding.UTF8.GetString(buffer, 0, unread.Receive(buffer)));
            Assert.True(notifier.Status("back"));
            Assert.Equal("STATUS=back", System.Text.Encoding.UTF8.GetString(buffer, 0, unread.Receive(buffer)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
