using ResShift.Engines.Abstractions;

namespace ResShift.Engines.Null;

/// <summary>
/// An engine that computes nothing (latents are zero; images are one fixed ramp, copied): running the pipeline
/// on it measures the pipeline's own cost, which `resshift bench` reports beside the real engine's. The ramp
/// rather than zeros because the pipeline's fidelity guard rightly refuses a constant output.
/// </summary>
public sealed class NullEngineSet(ModelGeometry geometry, int maxBatch) : IEngineSet
{
    private readonly float[] _image = Ramp(geometry);

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
        for (int n = 0; n < batch; n++) _image.CopyTo(image.Span.Slice(n * Geometry.ImageElements, Geometry.ImageElements));
        return ValueTask.CompletedTask;
    }

    private static float[] Ramp(ModelGeometry g)
    {
        var r = new float[g.ImageElements];
        for (int i = 0; i < r.Length; i++) r[i] = (i % g.ImageTile) / (float)g.ImageTile - 0.5f;
        return r;
    }

    public void Dispose() { }
}
