using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Models;
using ResShift.Daemon.Backends;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Serve;

/// <summary>One model's engine set and the pipeline every input of that model feeds.</summary>
public sealed class ModelPipeline : IAsyncDisposable
{
    public ModelManifest Model { get; }
    public IEngineSet Engines { get; }
    public RestorePipeline Pipeline { get; }
    public PipelineOptions Options { get; }

    /// <summary>Over an engine set already open (tests pass a fake one); the engines are disposed with the pipeline.</summary>
    internal ModelPipeline(ModelManifest model, IEngineSet engines, PipelineOptions options)
    {
        Model = model;
        Engines = engines;
        Options = options;
        Pipeline = new RestorePipeline(engines, new DiffusionSchedule(model.ScheduleParameters), options);
    }

    public static ModelPipeline Open(ModelManifest model, ServeSettings settings)
    {
        var options = new PipelineOptions
        {
            Model = model.Id,
            MaxBatch = settings.MaxBatch,
            MaxBatchDelay = TimeSpan.FromMilliseconds(settings.MaxBatchDelayMs),
            MaxJobsInFlight = settings.MaxJobsInFlight,
            MaxJobMemoryBytes = settings.MaxJobMemoryBytes,
            Overlap = model.Tile.Lq / 4,
        };
        IEngineSet engines = EngineSetFactory.Create(model, settings.Engine, settings.MaxBatch, settings.Threads);
        try
        {
            return new ModelPipeline(model, engines, options);
        }
        catch
        {
            engines.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Pipeline.DisposeAsync().ConfigureAwait(false);
        Engines.Dispose();
    }
}
