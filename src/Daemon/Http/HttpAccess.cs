using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ResShift.Daemon.Http;

/// <summary>
/// Who may read the endpoints and what is logged. With a token, /metrics, /v1/status and the reason on
/// /readyz need 'Authorization: Bearer TOKEN'; /healthz and the /readyz status code stay open so liveness and
/// readiness probes need no secret (they reveal only "ok" / "ready" / "not ready"). ASP.NET Core's request
/// lines (about ten per request) reach the logger factory only with <see cref="LogRequests"/>, and then its
/// own filters decide (`resshift serve`: the Logging section, Microsoft.* at Warning by default).
/// </summary>
public sealed record HttpAccess(string? Token = null, bool LogRequests = false)
{
    public static readonly HttpAccess Open = new();

    public bool RequiresToken => !string.IsNullOrEmpty(Token);

    /// <summary>True when no token is configured or the request carries it (compared in constant time).</summary>
    public bool Allows(HttpRequest request)
    {
        if (!RequiresToken) return true;
        string header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim())), SHA256.HashData(Encoding.UTF8.GetBytes(Token!)));
    }
}
