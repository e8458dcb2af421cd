using ResShift.Pipeline.Metrics;

namespace ResShift.Pipeline.Fidelity;

/// <summary>The guard's metrics, in the same registry as the pipeline's so the exporter publishes them with the rest.</summary>
public static class FidelityMetrics
{
    public static readonly TaggedHistogram PsnrDb = new("resshift_output_consistency_psnr_db",
        "PSNR (luma) between each input and its output degraded back to the input's size, per model",
        [10, 15, 20, 22, 24, 26, 28, 30, 32, 35, 40, 45, 50, 60], "model");

    public static readonly TaggedHistogram Ssim = new("resshift_output_consistency_ssim",
        "SSIM (luma, 11x11 Gaussian) between each input and its output degraded back to the input's size, per model",
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99], "model");

    public static readonly TaggedCounter Rejected = new("resshift_outputs_rejected_total",
        "Outputs refused before writing (NaN/Inf or constant), by model and defect", "defect", "model");

    public static readonly TaggedCounter Held = new("resshift_outputs_held_for_review_total",
        "Outputs below their fidelity threshold, held for review instead of delivered, by model and source", "model", "source");

    public static void RecordHeld(string model, string source) => Held.Inc(model, source);

    internal static void Record(FidelityReport r, string model)
    {
        PsnrDb.Observe(r.PsnrDb, model);
        Ssim.Observe(r.Ssim, model);
    }

    /// <summary>
    /// Publishes the model's refusal counters at 0 when its pipeline starts: a series that first appears at 1 is
    /// invisible to increase(), so the first refused output would never fire ResShiftOutputsRefused.
    /// </summary>
    internal static void Initialise(string model)
    {
        foreach (OutputDefect defect in Enum.GetValues<OutputDefect>())
            Rejected.Publish(DefectLabel(defect), model);
    }

    private static string DefectLabel(OutputDefect defect) => defect == OutputDefect.NonFinite ? "non_finite" : "constant";

    internal static void RecordRejected(OutputDefect defect, string model) => Rejected.Inc(DefectLabel(defect), model);
}
