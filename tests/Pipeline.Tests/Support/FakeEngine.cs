using System.Collections.Concurrent;
using ResShift.Engines.Abstractions;

namespace ResShift.Pipeline.Tests.Support;

/// <summary>
/// A thread-safe per-tile engine with simple maths (8×8 LQ tiles, ×4, latent f4) that counts calls,
/// can be held at a gate, and can be told to fail.
/// </summary>
internal sealed class FakeEngine : IEngineSet
{
    private int _calls;
    private int _maxBatchSeen;

    public ModelGeometry Geometry { get; } = new(LqTile: 8, Scale: 4, LatentFactor: 4, LatentChannels: 3);
    public int MaxBatch { get; init; } = 4;
    public string EngineName => "fake";
    public string Precision => "fp32";
    public string Device => "cpu";
    public int EncodeCalls => Volatile.Read(ref _calls);
    public int MaxBatchSeen => Volatile.Read(ref _maxBatchSeen);
    public SemaphoreSlim? Gate { get; set; }

    /// <summary>The batch size of every encoder call, in call order.</summary>
    public ConcurrentQueue<int> Batches { get; } = new();
    public Func<bool>? FailNext { get; set; }

    /// <summary>Applied to every decoded batch (e.g. a NaN, a constant): a decoder gone wrong.</summary>
    public Action<Span<float>>? CorruptDecoded { get; set; }

    public async ValueTask EncodeAsync(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken ct)
    {
        Interlocked.Increment(ref _calls);
        Batches.Enqueue(batch);
        int seen;
        while ((seen = _maxBatchSeen) < batch && Interlocked.CompareExchange(ref _maxBatchSeen, batch, seen) != seen) { }
        if (Gate is not null) await Gate.WaitAsync(ct);
        if (FailNext?.Invoke() == true) throw new InvalidOperationException("injected engine failure");
        int s = 32, l = 8;
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < l; y++)
                    for (int x = 0; x < l; x++)
                    {
                        float sum = 0;
                        for (int dy = 0; dy < 4; dy++)
                            for (int dx = 0; dx < 4; dx++)
                                sum += image.Span[((n * 3 + c) * s + 4 * y + dy) * s + 4 * x + dx];
                        latent.Span[((n * 3 + c) * l + y) * l + x] = sum / 16;
                    }
    }

    public ValueTask DenoiseAsync(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken ct)
    {
        for (int i = 0; i < batch * 192; i++) x0.Span[i] = 0.8f * xScaled.Span[i] + 0.2f * lq.Span[i];
        return ValueTask.CompletedTask;
    }

    public ValueTask DecodeAsync(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken ct)
    {
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        image.Span[((n * 3 + c) * 32 + y) * 32 + x] = 1.5f * latent.Span[((n * 3 + c) * 8 + y / 4) * 8 + x / 4];
        CorruptDecoded?.Invoke(image.Span[..(batch * 3 * 32 * 32)]);
        return ValueTask.CompletedTask;
    }

    public void Dispose() { }
}
