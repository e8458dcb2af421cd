using ResShift.Engines.OnnxRuntime;
using ResShift.Pipeline.Models;

namespace ResShift.Pipeline.Bird;

/// <summary>A loaded BIRD model: its UNet engine and the one batcher all of its jobs share.</summary>
public sealed class BirdRuntime : IAsyncDisposable
{
    public ModelManifest Model { get; }
    public IUNetEngine Engine { get; }
    public UNetBatcher Batcher { get; }
    public int MaxBatch { get; }

    public BirdRuntime(ModelManifest model, int maxBatch, TimeSpan maxBatchDelay, int threads)
    {
        Model = model;
        MaxBatch = Math.Max(1, maxBatch);
        Engine = new OrtUNetEngine(model, new OrtSessionSettings { IntraOpThreads = threads });
        Batcher = new UNetBatcher(Engine, MaxBatch, maxBatchDelay);
    }

    public async ValueTask DisposeAsync()
    {
        await Batcher.DisposeAsync().ConfigureAwait(false);
        Engine.Dispose();
    }
}
