using System.Diagnostics;
using ResShift.Pipeline.Fidelity;

namespace ResShift.Pipeline.Processing;

/// <summary>
/// The pipeline's side of the guard: captures the reference when a job is loaded, and checks the float output
/// before it is quantised — figures onto the <see cref="JobReport"/> and the metrics, or the job fails with an
/// <see cref="OutputRejectedException"/> and nothing is written.
/// </summary>
internal static class FidelityGuard
{
    /// <summary>For an inpainting job only the known area is compared (the filled area has nothing to match).</summary>
    public static FidelityReference Capture(LqImage lq, int scale)
    {
        if (!lq.HasMask) return FidelityReference.Capture(lq.Pixels, lq.Width, lq.Height, scale, SampleRange.Signed);
        ReadOnlySpan<float> mask = lq.Mask;
        byte[] known = new byte[mask.Length];
        bool any = false;
        for (int i = 0; i < known.Length; i++) any |= (known[i] = mask[i] <= 0f ? (byte)1 : (byte)0) != 0;
        // A mask that fills everything leaves nothing known: then the whole input is the reference, as without a mask.
        return FidelityReference.Capture(lq.Pixels, lq.Width, lq.Height, scale, SampleRange.Signed, any ? known : default);
    }

    /// <param name="output">The blended output in model space; its tiles were clamped, so non-finite samples were counted on the job before that.</param>
    public static void Check(JobState state, ReadOnlySpan<float> output, int width, int height, string model)
    {
        FidelityReference reference = state.Fidelity ?? throw new InvalidOperationException("no fidelity reference was captured for this job");
        state.Fidelity = null;
        JobReport report = state.Report!;
        long t0 = Stopwatch.GetTimestamp();
        try
        {
            if (state.NonFiniteSamples > 0)
                throw new OutputRejectedException(OutputDefect.NonFinite,
                    $"the engine output held {state.NonFiniteSamples} NaN or infinite values before its tiles were clamped (fp16 overflow, a broken engine build or a corrupt model file)");
            report.Fidelity = ConsistencyMeter.Measure(reference, output, width, height, SampleRange.Signed);
            FidelityMetrics.Record(report.Fidelity, model);
        }
        catch (OutputRejectedException e)
        {
            FidelityMetrics.RecordRejected(e.Defect, model);
            throw;
        }
        finally
        {
            TimeSpan spent = reference.CaptureTime + Stopwatch.GetElapsedTime(t0);
            reference.Dispose();
            report.Add("fidelity", spent);
            PipelineMetrics.Stage("fidelity", spent);
        }
    }
}
