using System.Collections.Concurrent;
using ResShift.Pipeline.Metrics;

namespace ResShift.Pipeline.Bird;

/// <summary>Where a running BIRD job is: for /v1/status and the loss gauge.</summary>
public sealed record BirdJobProgress(string Name, string Task, int Iteration, int Iterations, double Loss);

/// <summary>
/// BIRD's metrics: resshift_bird_iterations_total (by task) and resshift_bird_loss (the data-fidelity loss of
/// each running job's last iteration, by job and task; a finished job's series goes), plus the live list
/// /v1/status shows.
/// </summary>
public static class BirdMetrics
{
    public static readonly TaggedCounter Iterations = new("resshift_bird_iterations_total", "BIRD optimisation iterations completed, by task", "task");

    private static readonly LiveGauge Loss = new("resshift_bird_loss", "Data-fidelity loss of each running BIRD job's last iteration", "job", "task");
    private static readonly ConcurrentDictionary<object, BirdJobProgress> Live = new();

    static BirdMetrics() => MetricsRegistry.Shared.AddBeforeCollectCallback(() => Loss.Observe(Live.Values.Select(p => (p.Loss, new[] { p.Name, p.Task }))));

    public static IReadOnlyList<BirdJobProgress> Running => [.. Live.Values.OrderBy(p => p.Name, StringComparer.Ordinal)];

    internal static void Report(object job, BirdJobProgress progress)
    {
        Live[job] = progress;
        Iterations.Inc(progress.Task);
    }

    internal static void Finished(object job) => Live.TryRemove(job, out _);
}
