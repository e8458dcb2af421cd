using ResShift.Engines.Abstractions;

namespace ResShift.Pipeline.Tests.Support;

/// <summary>
/// A deterministic engine set with simple per-element maths that a test can redo by hand:
/// encode = 4×4 mean pool + 0.25·c; denoise = 0.5·x + 0.01·t + 0.1·lq (lq at latent size);
/// decode = 2·nearest-upsample(latent) − 0.1. It records every call's inputs and outputs.
/// </summary>
internal sealed class RecordingEngine : IEngineSet
{
    public ModelGeometry Geometry { get; } = new(LqTile: 4, Scale: 4, LatentFactor: 4, LatentChannels: 3);
    public int MaxBatch { get; init; } = 8;
    public string EngineName => "recording-test";
    public string Precision => "fp32";
    public string Device => "cpu";

    public List<(long T, float[] XScaled, float[] X0)> DenoiseCalls { get; } = [];
    public List<float[]> DecodeInputs { get; } = [];
    public List<float[]> EncodeOutputs { get; } = [];

    public static float EncodeAt(ReadOnlySpan<float> image, int c, int y, int x)
    {
        double sum = 0;
        for (int dy = 0; dy < 4; dy++)
            for (int dx = 0; dx < 4; dx++)
                sum += image[c * 256 + (4 * y + dy) * 16 + 4 * x + dx];
        return (float)(sum / 16 + 0.25 * c);
    }

    public ValueTask EncodeAsync(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken cancellationToken)
    {
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> img = image.Span.Slice(n * 768, 768);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 4; y++)
                    for (int x = 0; x < 4; x++)
                        latent.Span[n * 48 + c * 16 + y * 4 + x] = EncodeAt(img, c, y, x);
        }
        EncodeOutputs.Add(latent.Span[..(batch * 48)].ToArray());
        return ValueTask.CompletedTask;
    }

    public ValueTask DenoiseAsync(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken cancellationToken)
    {
        for (int i = 0; i < batch * 48; i++)
            x0.Span[i] = 0.5f * xScaled.Span[i] + 0.01f * t + 0.1f * lq.Span[i];
        DenoiseCalls.Add((t, xScaled.Span[..(batch * 48)].ToArray(), x0.Span[..(batch * 48)].ToArray()));
        return ValueTask.CompletedTask;
    }

    public ValueTask DecodeAsync(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken cancellationToken)
    {
        DecodeInputs.Add(latent.Span[..(batch * 48)].ToArray());
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 16; y++)
                    for (int x = 0; x < 16; x++)
                        image.Span[n * 768 + c * 256 + y * 16 + x] = 2f * latent.Span[n * 48 + c * 16 + (y / 4) * 4 + x / 4] - 0.1f;
        return ValueTask.CompletedTask;
    }

    public void Dispose() { }
}
