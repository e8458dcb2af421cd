using System.Diagnostics.Metrics;
using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Fidelity;

/// <summary>The guard's instruments, on the pipeline's meter so the exporter publishes them with the rest.</summary>
public static class FidelityMetrics
{
    public static readonly Histogram<double> PsnrDb = PipelineMetrics.Meter.CreateHistogram<double>(
        "resshift_output_consistency_psnr_db", "dB", "PSNR (luma) between each input and its output degraded back to the input's size, per model", null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [10, 15, 20, 22, 24, 26, 28, 30, 32, 35, 40, 45, 50, 60] });

    public static readonly Histogram<double> Ssim = PipelineMetrics.Meter.CreateHistogram<double>(
        "resshift_output_consistency_ssim", null, "SSIM (luma, 11x11 Gaussian) between each input and its output degraded back to the input's size, per model", null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99] });

    public static readonly Counter<long> Rejected = PipelineMetrics.Meter.CreateCounter<long>(
        "resshift_outputs_rejected_total", description: "Outputs refused before writing (NaN/Inf or constant), by model and defect");

    public static readonly Counter<long> Held = PipelineMetrics.Meter.CreateCounter<long>(
        "resshift_outputs_held_for_review_total", description: "Outputs below their fidelity threshold, held for review instead of delivered, by model and source");

    public static void RecordHeld(string model, string source) =>
        Held.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("source", source));

    internal static void Record(FidelityReport r, string model)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        PsnrDb.Record(r.PsnrDb, tag);
        Ssim.Record(r.Ssim, tag);
    }

    /// <summary>
    /// Publishes the model's refusal counters at 0 when its pipeline starts: a series that first appears at 1 is
    /// invisible to increase(), so the first refused output would never fire ResShiftOutputsRefused.
    /// </summary>
    internal static void Initialise(string model)
    {
        foreach (OutputDefect defect in Enum.GetValues<OutputDefect>())
            Rejected.Add(0, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("defect", DefectLabel(defect)));
    }

    private static string DefectLabel(OutputDefect defect) => defect == OutputDefect.NonFinite ? "non_finite" : "constant";

    internal static void RecordRejected(OutputDefect defect, string model) =>
        Rejected.Add(1, new KeyValuePair<string, object?>("model", model),
            new KeyValuePair<string, object?>("defect", DefectLabel(defect)));
}
