using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Models;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// A loaded BIRD model: its UNet engine (opened by the backend factory, owned from here on) and the one batcher
/// all of its jobs share.
/// </summary>
public sealed class BirdRuntime : IAsyncDisposable
{
    public ModelManifest Model { get; }
    public IBatchedGraph Engine { get; }
    public UNetBatcher Batcher { get; }
    public int MaxBatch { get; }

    public BirdRuntime(ModelManifest model, IBatchedGraph unet, int maxBatch, TimeSpan maxBatchDelay)
    {
        Model = model;
        MaxBatch = Math.Max(1, maxBatch);
        Engine = unet;
        Batcher = new UNetBatcher(unet, MaxBatch, maxBatchDelay);
    }

    public async ValueTask DisposeAsync()
    {
        await Batcher.DisposeAsync().ConfigureAwait(false);
        Engine.Dispose();
    }
}
