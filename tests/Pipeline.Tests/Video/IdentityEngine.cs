using ResShift.Engines.Abstractions;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>
/// An engine set whose sampler output is its LQ input, exactly (×1, latent = image): the denoiser returns the LQ
/// tile as x0, and the last step sets x = x0. Video tests use it to measure the decode/encode path alone.
/// </summary>
internal sealed class IdentityEngine(int tile = 16, int maxBatch = 8) : IEngineSet
{
    public ModelGeometry Geometry { get; } = new(LqTile: tile, Scale: 1, LatentFactor: 1, LatentChannels: 3);
    public int MaxBatch { get; } = maxBatch;
    public string EngineName => "identity";
    public string Precision => "fp32";
    public string Device => "cpu";

    public ValueTask EncodeAsync(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken ct)
    {
        image.Span[..(batch * Geometry.LatentElements)].CopyTo(latent.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask DenoiseAsync(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken ct)
    {
        lq.Span[..(batch * Geometry.LatentElements)].CopyTo(x0.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask DecodeAsync(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken ct)
    {
        latent.Span[..(batch * Geometry.ImageElements)].CopyTo(image.Span);
        return ValueTask.CompletedTask;
    }

    public void Dispose() { }
}
