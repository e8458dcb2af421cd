using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ResShift.Pipeline.Bird;

/// <summary>Where a running BIRD job is: for /v1/status and the loss gauge.</summary>
public sealed record BirdJobProgress(string Name, string Task, int Iteration, int Iterations, double Loss);

/// <summary>
/// BIRD's instruments: resshift_bird_iterations_total (by task) and resshift_bird_loss (the data-fidelity loss of
/// each running job's last iteration, by job and task), plus the live list /v1/status shows.
/// </summary>
public static class BirdMetrics
{
    public const string MeterName = "ResShift.Pipeline.Bird";
    public static readonly Meter Meter = new(MeterName, "1.0");
    public static readonly Counter<long> Iterations = Meter.CreateCounter<long>("resshift_bird_iterations_total", description: "BIRD optimisation iterations completed, by task");

    private static readonly ConcurrentDictionary<object, BirdJobProgress> Live = new();

    static BirdMetrics()
    {
        Meter.CreateObservableGauge("resshift_bird_loss",
            () => Live.Values.Select(p => new Measurement<double>(p.Loss, new("job", p.Name), new("task", p.Task))),
            description: "Data-fidelity loss of each running BIRD job's last iteration");
    }

    public static IReadOnlyList<BirdJobProgress> Running => [.. Live.Values.OrderBy(p => p.Name, StringComparer.Ordinal)];

    internal static void Report(object job, BirdJobProgress progress)
    {
        Live[job] = progress;
        Iterations.Add(1, new KeyValuePair<string, object?>("task", progress.Task));
    }

    internal static void Finished(object job) => Live.TryRemove(job, out _);
}
