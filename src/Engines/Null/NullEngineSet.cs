using ResShift.Engines.Abstractions;

namespace ResShift.Engines.Null;

/// <summary>
/// An engine that computes nothing (outputs are zero): running the pipeline on it measures the
/// pipeline's own cost, which `resshift bench` reports beside the real engine's.
/// </summary>
public sealed class NullEngineSet(ModelGeometry geometry, int maxBatch) : IEngineSet
{
    public ModelGeometry Geometry { get; } = geometry;
    public int MaxBatch { get; } = maxBatch;
    public string EngineName => "null";
    public string Precision => "none";
    public string Device => "none";

    public ValueTask EncodeAsync(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken cancellationToken)
    {
        latent.Span[..(batch * Geometry.LatentElements)].Clear();
        return ValueTask.CompletedTask;
    }

    public ValueTask DenoiseAsync(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken cancellationToken)
    {
        x0.Span[..(batch * Geometry.LatentElements)].Clear();
        return ValueTask.CompletedTask;
    }

    public ValueTask DecodeAsync(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken cancellationToken)
    {
        image.Span[..(batch * Geometry.ImageElements)].Clear();
        return ValueTask.CompletedTask;
    }

    public void Dispose() { }
}
