using System.Collections.Concurrent;
using System.Globalization;
using ResShift.Pipeline.Metrics;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// <c>resshift_inbox_files{root}</c>: files each watch root's inbox held at its last scan, settled or not (a backlog,
/// or files that never settle, e.g. a future mtime). Labelled by the root's index in the configuration's
/// <c>Watch</c> list, never by a path (paths are unbounded and may be private).
/// </summary>
public static class InboxMetrics
{
    private static readonly ConcurrentDictionary<int, Func<int>> Roots = new();
    private static readonly LiveGauge Files = new("resshift_inbox_files",
        "Files in each watch root's inbox at its last scan (root: index in the Watch list)", "root");

    static InboxMetrics() => MetricsRegistry.Shared.AddBeforeCollectCallback(() =>
        Files.Observe(Roots.Select(r => ((double)r.Value(), new[] { r.Key.ToString(CultureInfo.InvariantCulture) }))));

    public static void Register(int index, Func<int> files) => Roots[index] = files;

    public static void Unregister(int index) => Roots.TryRemove(index, out _);
}
