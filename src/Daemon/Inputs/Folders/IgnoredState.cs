using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Says which of a root's own state files (leases, claim markers) were not believed and why: logged as a warning and
/// counted in <see cref="WatchStateMetrics"/> once per file and reason, not on every scan that meets it again.
/// </summary>
internal sealed class IgnoredState(string root, Func<int> index, ILogger log)
{
    private const int Remembered = 10_000; // beyond this many distinct files the memory starts over (they are reported again)
    private readonly Dictionary<string, string> _reported = new(StringComparer.Ordinal);

    /// <param name="file">The file, relative to the root (".owners/x.lease").</param>
    /// <param name="reason">A short label for the metric (link, not_regular, too_large, unreadable, malformed, too_far_ahead).</param>
    /// <param name="detail">What an operator reads: what it is and what the daemon does about it.</param>
    public void Report(string file, string reason, string detail)
    {
        lock (_reported)
        {
            if (_reported.TryGetValue(file, out string? before) && before == reason) return;
            if (_reported.Count >= Remembered) _reported.Clear();
            _reported[file] = reason;
        }
        WatchStateMetrics.Ignored.Add(1, new("root", index().ToString(CultureInfo.InvariantCulture)), new("reason", reason));
        log.LogWarning("{Root}: ignoring {File}: {Detail}", root, file, detail);
    }

    /// <summary>The file was read and believed (or is gone): should it go wrong again, that is reported again.</summary>
    public void Clear(string file)
    {
        lock (_reported) _reported.Remove(file);
    }
}
