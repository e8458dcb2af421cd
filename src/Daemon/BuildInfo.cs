using System.Reflection;

namespace ResShift.Daemon;

/// <summary>The running daemon's version: one source for provenance sidecars, /v1/status, error files and resshift_build_info.</summary>
public static class BuildInfo
{
    /// <summary>The informational version without its source-revision suffix (e.g. 0.1.0 from 0.1.0+abc123).</summary>
    public static string Version { get; } =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(BuildInfo).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";
}
