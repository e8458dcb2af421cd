using System.Globalization;
using System.Net;

namespace ResShift.Daemon.Http;

/// <summary>
/// An HTTP bind address as given on the command line or in the config: <c>127.0.0.1:9464</c>,
/// <c>[::1]:9464</c>, <c>0.0.0.0:9464</c>, <c>*:9464</c>, <c>localhost:9464</c>, optionally with <c>http://</c>.
/// Port 0 picks a free port (tests).
/// </summary>
public sealed record ListenAddress(string Host, int Port)
{
    public const string Default = "127.0.0.1:9464";

    /// <summary>null for "all interfaces" and for localhost (both loopbacks).</summary>
    public IPAddress? Ip => Host is "*" or "+" or "localhost" ? null : IPAddress.Parse(Host);

    public bool IsLocalhost => Host == "localhost";

    /// <summary>Reachable only from this machine (127.0.0.0/8, ::1, localhost).</summary>
    public bool IsLoopback => IsLocalhost || (Ip is { } ip && IPAddress.IsLoopback(ip));

    public static ListenAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim();
        if (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) s = s["http://".Length..];
        else if (s.Contains("://", StringComparison.Ordinal)) throw Bad(text, "only http:// is served");
        s = s.TrimEnd('/');

        int colon = s.LastIndexOf(':');
        if (colon < 0 || (s.StartsWith('[') && !s[..colon].EndsWith(']'))) throw Bad(text, "expected HOST:PORT");
        string host = s[..colon].Trim('[', ']');
        if (!int.TryParse(s.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw Bad(text, "the port must be 0..65535");
        if (host.Length == 0) host = "*";
        if (host is not ("*" or "+" or "localhost") && !IPAddress.TryParse(host, out _))
            throw Bad(text, "the host must be an IP address, localhost or *");
        return new ListenAddress(host, port);
    }

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    private static FormatException Bad(string text, string why) => new($"invalid HTTP listen address \"{text}\": {why}");
}
