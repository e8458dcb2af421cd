using System.Buffers;
using System.Globalization;
using System.Numerics.Tensors;

namespace ResShift.Pipeline.Fidelity;

/// <summary>
/// Measures an output against its input's <see cref="FidelityReference"/>: first the checks that cannot be
/// argued with (every sample finite; not constant when the input is not), then the output degraded back to the
/// input's geometry (<see cref="Degradation"/>) and compared on luminance (<see cref="Similarity"/>).
/// The pipeline and `resshift check` both call this, so their figures are the same figures.
/// </summary>
public static class ConsistencyMeter
{
    /// <summary>PSNR reported for identical images (JSON and dashboards have no +∞).</summary>
    public const double MaxPsnrDb = 100;

    /// <summary>Below this spread (half an 8-bit step) an output counts as constant...</summary>
    public const float ConstantSpread = 0.5f / 255;

    /// <summary>...which is a defect only when the input spreads at least this much: a blank page may restore to a blank page.</summary>
    public const float StructuredSpread = 2f / 255;

    public static string MethodFor(FidelityReference reference) => MethodFor(reference.Scale, reference.Width, reference.Height, !reference.Known.IsEmpty);

    private static string MethodFor(int scale, int width, int height, bool masked) =>
        (scale > 1 ? $"area-x{scale}" : "blur-binomial3") + $"/luma-bt601/ssim-gauss{Similarity.WindowFor(width, height)}" + (masked ? "/known-area" : "");

    /// <exception cref="OutputRejectedException">NaN/Inf in the output, or a constant output from a varied input.</exception>
    public static FidelityReport Measure(FidelityReference reference, ReadOnlySpan<float> rgb, int width, int height, SampleRange range)
    {
        int scale = reference.Scale;
        if (width != reference.Width * scale || height != reference.Height * scale)
            throw new ArgumentException($"the output is {width}×{height}; an input of {reference.Width}×{reference.Height} at ×{scale} gives {reference.Width * scale}×{reference.Height * scale}");
        int plane = width * height;
        ReadOnlySpan<float> samples = rgb[..(3 * plane)];
        if (!TensorPrimitives.IsFiniteAll(samples)) throw NonFinite(samples);
        float spread = Luma.Spread(samples, plane, range);
        if (spread < ConstantSpread && reference.Spread >= StructuredSpread)
            throw new OutputRejectedException(OutputDefect.Constant, string.Create(CultureInfo.InvariantCulture,
                $"the output is constant (every channel varies by {spread * 255:F2}/255 at most) while the input varies by {reference.Spread * 255:F1}/255: the engine produced no picture"));

        int n = reference.Width * reference.Height;
        float[] degraded = ArrayPool<float>.Shared.Rent(n);
        try
        {
            Span<float> d = degraded.AsSpan(0, n);
            if (scale > 1) Degradation.AreaDownscaleLuma(samples, reference.Width, reference.Height, scale, range, d);
            else
            {
                Degradation.Luminance(samples, width, height, range, d);
                Degradation.Blur3(d, width, height);
            }
            double psnr = Similarity.Psnr(reference.LumaPlane, d, reference.Width, reference.Height, reference.Known, MaxPsnrDb);
            double ssim = Similarity.Ssim(reference.LumaPlane, d, reference.Width, reference.Height, reference.Known);
            return new FidelityReport(psnr, ssim, MethodFor(reference));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(degraded);
        }
    }

    private static OutputRejectedException NonFinite(ReadOnlySpan<float> samples)
    {
        // Only on the failure path: count them for the reason.
        long nan = 0, inf = 0;
        foreach (float v in samples)
        {
            if (float.IsNaN(v)) nan++;
            else if (float.IsInfinity(v)) inf++;
        }
        return new OutputRejectedException(OutputDefect.NonFinite,
            $"the engine output holds {nan} NaN and {inf} infinite values out of {samples.Length} samples (fp16 overflow, a broken engine build or a corrupt model file)");
    }
}
