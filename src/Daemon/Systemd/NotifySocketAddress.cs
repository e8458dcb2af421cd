using System.Net.Sockets;

namespace ResShift.Daemon.Systemd;

/// <summary>Turns a <c>$NOTIFY_SOCKET</c> value into a Unix datagram endpoint.</summary>
public static class NotifySocketAddress
{
    /// <summary>
    /// Absolute paths are filesystem sockets; a leading '@' names an abstract socket, which the kernel
    /// spells with a leading NUL byte. Anything else (unset, relative, vsock:…) is unsupported → null.
    /// </summary>
    public static UnixDomainSocketEndPoint? TryParse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (value[0] == '@')
            return value.Length > 1 ? new UnixDomainSocketEndPoint("\0" + value[1..]) : null;
        return value[0] == '/' ? new UnixDomainSocketEndPoint(value) : null;
    }
}
