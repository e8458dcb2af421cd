using System.Globalization;
using ResShift.Pipeline.Tiling;

namespace ResShift.Pipeline.Processing;

/// <summary>
/// What one job holds in memory at its peak, from its LQ size alone, so it can be checked against the budget
/// before a pixel is decoded. Per output pixel: the blend sums and weights (C + 1 floats), the planar output
/// handed to the encoder with a possible alpha plane (C + 1 floats) and the encoder's 16-bit samples
/// (C + 1 shorts); per LQ pixel: the decoded input with alpha and the model's LQ copy. Sizes are long and
/// checked: a 7200×6900 input at ×4 is 2.4 G values.
/// </summary>
public static class JobFootprint
{
    public static long Bytes(ImageSize lq, int scale, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lq.Width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lq.Height);
        long lqPixels = checked((long)lq.Width * lq.Height);
        long outPixels = checked(lqPixels * scale * scale);
        long perOutput = sizeof(float) * (channels + 1) + sizeof(float) * (channels + 1) + sizeof(short) * (channels + 1);
        long perInput = sizeof(float) * (channels + 1) + sizeof(float) * channels;
        return checked(outPixels * perOutput + lqPixels * perInput);
    }

    /// <summary>Bytes in binary units for messages: "31.2 GiB".</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
    };

    /// <summary>
    /// Why a job of this size cannot run in a pipeline with this budget, or null when it can: the blend buffer
    /// must fit one array, and the job alone must fit the budget.
    /// </summary>
    public static string? Refusal(ImageSize lq, int scale, int channels, long budget)
    {
        string? buffer = TileBlender.SizeProblem(lq.Height, lq.Width, scale, channels);
        if (buffer is not null) return $"image is {lq.Width}×{lq.Height}: {buffer}";
        long need = Bytes(lq, scale, channels);
        if (need <= budget) return null;
        return $"image is {lq.Width}×{lq.Height}: restoring it at ×{scale} needs about {Format(need)} of memory, "
             + $"more than the job memory budget of {Format(budget)} ({budget} bytes, MaxJobMemoryBytes)";
    }
}
