namespace ResShift.Engines.Abstractions;

/// <summary>
/// The three networks of one model at one tile size. Every call works on a batch of tiles laid out
/// NCHW, float32, contiguous: <c>batch * Geometry.XxxElements</c> floats. The batch may be any size
/// from 1 to <see cref="MaxBatch"/>.
/// Thread safety: implementations must allow concurrent calls from different threads (each call
/// owns its buffers); the sampler relies on this to run several batches at once.
/// </summary>
public interface IEngineSet : IDisposable
{
    ModelGeometry Geometry { get; }

    int MaxBatch { get; }

    /// <summary>Where it computes, for metrics and status: "cpu", the GPU's name ("NVIDIA H200"), "none" for the null engine.</summary>
    string Device { get; }

    /// <summary>Human-readable engine name for metrics and provenance (e.g. "onnxruntime-cpu").</summary>
    string EngineName { get; }

    /// <summary>"fp32", "fp16".</summary>
    string Precision { get; }

    /// <summary>image (N×C×H×W in [-1,1], already upsampled to full resolution) → latent z_y (no quantisation).</summary>
    ValueTask EncodeAsync(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken cancellationToken);

    /// <summary>
    /// x0 = Denoiser(xScaled, t, lq). <paramref name="xScaled"/> is already divided by input_std[t];
    /// <paramref name="t"/> is the raw step index 0..T-1; <paramref name="lq"/> is the padded LQ tile in [-1,1].
    /// </summary>
    ValueTask DenoiseAsync(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken cancellationToken);

    /// <summary>latent → image (N×C×H×W, roughly [-1,1], not clamped); includes codebook quantisation.</summary>
    ValueTask DecodeAsync(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken cancellationToken);
}
