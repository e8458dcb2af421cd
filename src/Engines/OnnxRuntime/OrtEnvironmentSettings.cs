namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// Operator overrides of the CPU session settings, read from the environment so that a running service can be
/// tuned or profiled without a new build:
/// <list type="bullet">
/// <item><c>RESSHIFT_ORT_ARENA=0</c>: no CPU arena (lower peak memory, 10-20 % slower).</item>
/// <item><c>RESSHIFT_ORT_CONFIG="key=value;key=value"</c>: ORT session config entries.</item>
/// <item><c>RESSHIFT_ORT_PROFILE=PREFIX</c>: per-node profile, PREFIX-&lt;graph&gt;_&lt;time&gt;.json at shutdown.</item>
/// </list>
/// </summary>
public static class OrtEnvironmentSettings
{
    public static OrtSessionSettings Apply(OrtSessionSettings settings, Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(getVariable);
        var config = getVariable("RESSHIFT_ORT_CONFIG");
        var profile = getVariable("RESSHIFT_ORT_PROFILE");
        return settings with
        {
            CpuMemArena = getVariable("RESSHIFT_ORT_ARENA") == "0" ? false : settings.CpuMemArena,
            ConfigEntries = string.IsNullOrWhiteSpace(config) ? settings.ConfigEntries : [.. settings.ConfigEntries, .. ParseConfig(config)],
            ProfileFilePrefix = string.IsNullOrWhiteSpace(profile) ? settings.ProfileFilePrefix : profile.Trim(),
        };
    }

    /// <summary>Parses <c>key=value;key=value</c>; a malformed entry is an error, not silently dropped.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ParseConfig(string text)
    {
        var entries = new List<KeyValuePair<string, string>>();
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1)
                throw new FormatException($"RESSHIFT_ORT_CONFIG entry '{part}' is not key=value (entries are separated by ';')");
            entries.Add(new(part[..eq].Trim(), part[(eq + 1)..].Trim()));
        }
        return entries;
    }
}
