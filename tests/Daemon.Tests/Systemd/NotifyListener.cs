using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace ResShift.Daemon.Tests.Systemd;

/// <summary>
/// Plays systemd's side: a bound Unix datagram socket that collects what the notifier sends. A thread reads
/// the socket from the moment it is bound, as systemd does, so the kernel queue (max_dgram_qlen, often 10)
/// never fills up whatever the test does between reads; the test takes datagrams from the collected queue.
/// </summary>
internal sealed class NotifyListener : IDisposable
{
    private static readonly TimeSpan PollSlice = TimeSpan.FromMilliseconds(20);

    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly BlockingCollection<string> _received = [];
    private readonly object _readGate = new(); // one reader of the socket at a time: the thread or Drain
    private readonly byte[] _buffer = new byte[4096];
    private readonly Thread _reader;
    private readonly string? _path;
    private volatile bool _stop;

    private NotifyListener(string notifySocket, string? path, UnixDomainSocketEndPoint endpoint)
    {
        NotifySocket = notifySocket;
        _path = path;
        _socket.Bind(endpoint);
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "notify-listener" };
        _reader.Start();
    }

    /// <summary>The value a NOTIFY_SOCKET variable would hold for this listener.</summary>
    public string NotifySocket { get; }

    public string? Path => _path;

    /// <summary>A filesystem socket under /tmp (sun_path allows only 108 bytes, so keep the name short).</summary>
    public static NotifyListener AtPath()
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rs-notify-{Guid.NewGuid():N}.sock");
        return new NotifyListener(path, path, new UnixDomainSocketEndPoint(path));
    }

    /// <summary>An abstract-namespace socket: '@name' in NOTIFY_SOCKET, NUL + name on the wire.</summary>
    public static NotifyListener Abstract()
    {
        string name = $"resshift-test-{Guid.NewGuid():N}";
        return new NotifyListener("@" + name, null, new UnixDomainSocketEndPoint("\0" + name));
    }

    private void ReadLoop()
    {
        try
        {
            while (!_stop)
                if (_socket.Poll(PollSlice, SelectMode.SelectRead)) Pump();
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Moves everything the kernel holds for us now into the collected queue.</summary>
    private void Pump()
    {
        lock (_readGate)
            while (_socket.Poll(TimeSpan.Zero, SelectMode.SelectRead))
            {
                int n = _socket.Receive(_buffer);
                _received.Add(Encoding.UTF8.GetString(_buffer, 0, n));
            }
    }

    /// <summary>The next datagram, or null if none arrives within <paramref name="timeout"/>.</summary>
    public string? Receive(TimeSpan timeout) => _received.TryTake(out string? d, timeout) ? d : null;

    public string ReceiveOrFail(TimeSpan? timeout = null) =>
        Receive(timeout ?? TimeSpan.FromSeconds(5)) ?? throw new TimeoutException("no datagram arrived");

    /// <summary>Everything that arrives within <paramref name="window"/>.</summary>
    public List<string> Collect(TimeSpan window)
    {
        var got = new List<string>();
        var until = DateTime.UtcNow + window;
        for (TimeSpan left; (left = until - DateTime.UtcNow) > TimeSpan.Zero;)
            if (Receive(left) is { } d) got.Add(d);
        return got;
    }

    /// <summary>Everything that has arrived by now, including what the reader has not picked up yet; no waiting.</summary>
    public List<string> TakeAll()
    {
        Pump();
        var got = new List<string>();
        while (_received.TryTake(out string? d)) got.Add(d);
        return got;
    }

    /// <summary>Throws away whatever has arrived by now, including what the reader has not picked up yet.</summary>
    public void Drain()
    {
        Pump();
        while (_received.TryTake(out _)) { }
    }

    public void Dispose()
    {
        _stop = true;
        _reader.Join();
        _socket.Dispose();
        _received.Dispose();
        if (_path is not null) File.Delete(_path);
    }
}
