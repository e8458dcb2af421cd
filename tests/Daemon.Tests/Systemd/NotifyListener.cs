using System.Net.Sockets;
using System.Text;

namespace ResShift.Daemon.Tests.Systemd;

/// <summary>Plays systemd's side: a bound Unix datagram socket that collects what the notifier sends.</summary>
internal sealed class NotifyListener : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly string? _path;

    private NotifyListener(string notifySocket, string? path, UnixDomainSocketEndPoint endpoint)
    {
        NotifySocket = notifySocket;
        _path = path;
        _socket.Bind(endpoint);
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

    /// <summary>The next datagram, or null if none arrives within <paramref name="timeout"/>.</summary>
    public string? Receive(TimeSpan timeout)
    {
        if (!_socket.Poll(timeout, SelectMode.SelectRead)) return null;
        var buffer = new byte[4096];
        int n = _socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

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

    /// <summary>Throws away whatever is queued now.</summary>
    public void Drain()
    {
        while (Receive(TimeSpan.Zero) is not null) { }
    }

    public void Dispose()
    {
        _socket.Dispose();
        if (_path is not null) File.Delete(_path);
    }
}
