using ResShift.Pipeline.Imaging;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// Turns a message's paths into files inside the configured roots, or refuses them with a reason. A path is
/// absolute or relative to the first root; it must stay inside a root both after normalisation (`..`) and after
/// every symlink in it is resolved, so neither `../../etc/passwd` nor a link planted in a root can reach out.
/// </summary>
public sealed class PathGuard
{
    private readonly string[] _roots;   // as configured, normalised
    private readonly string[] _real;    // the same with symlinks resolved

    public PathGuard(IEnumerable<string> roots)
    {
        _roots = roots.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r))).ToArray();
        _real = _roots.Select(r => Path.TrimEndingDirectorySeparator(RealPath.Resolve(r))).ToArray();
    }

    /// <summary>An existing regular file inside a root.</summary>
    public string Input(string path)
    {
        string full = Inside("input", path);
        if (Directory.Exists(full)) throw Path_("input", $"'{path}' is a directory, not a file");
        if (!File.Exists(full)) throw new JobRejectedException("input", $"input '{path}' does not exist");
        return full;
    }

    /// <summary>An image path inside a root (it need not exist; the extension rules out sidecar names); never the input itself.</summary>
    public string Output(string path, string input)
    {
        string full = Inside("output", path);
        if (Directory.Exists(full)) throw Path_("output", $"'{path}' is a directory");
        if (ImageFormats.FromPath(full) is null && !full.EndsWith(".mkv", StringComparison.OrdinalIgnoreCase))
            throw Path_("output", $"'{path}' has no known image extension (png, jpg, tif, webp) and is not a video output (mkv)");
        if (string.Equals(RealPath.Resolve(full), RealPath.Resolve(input), StringComparison.Ordinal)) throw Path_("output", "output is the input file itself");
        return full;
    }

    private string Inside(string role, string path)
    {
        if (path.Contains('\0')) throw Path_(role, "path contains a NUL character");
        string full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(_roots[0], path));
        if (!_roots.Any(r => Within(full, r)))
            throw Path_(role, $"'{path}' resolves to {full}, outside the configured roots ({string.Join(", ", _roots)})");
        string real = RealPath.Resolve(full);
        if (!_real.Any(r => Within(real, r)))
            throw Path_(role, $"'{path}' leads through a symlink to {real}, outside the configured roots");
        return full;
    }

    private static bool Within(string path, string root) =>
        root == "/" ? path.Length > 1 : path.StartsWith(root + "/", StringComparison.Ordinal) && path.Length > root.Length + 1;

    private static JobRejectedException Path_(string role, string reason) => new("path", $"{role}: {reason}");
}
