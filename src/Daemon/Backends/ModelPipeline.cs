using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Bird;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Models;
using ResShift.Daemon.Backends;
using ResShift.Pipeline.Processing;
using ResShift.Daemon.Configuration;

namespace ResShift.Daemon.Backends;

/// <summary>
/// One model's engine set and the pipeline every input of that model feeds; for a BIRD model instead its UNet
/// engine and shared batcher (<see cref="Bird"/>), and no tile pipeline.
/// </summary>
public sealed class ModelPipeline : IAsyncDisposable
{
    private readonly IEngineSet? _engines;
    private readonly RestorePipeline? _pipeline;

    public ModelManifest Model { get; }
    public IEngineSet Engines => _engines ?? throw new InvalidOperationException($"model '{Model.Id}' is a BIRD model: it has no ResShift engine set");
    public RestorePipeline Pipeline => _pipeline ?? throw new InvalidOperationException($"model '{Model.Id}' is a BIRD model: it has no tile pipeline");
    public PipelineOptions Options { get; }
    public BirdRuntime? Bird { get; }
    public bool IsBird => Bird is not null;

    /// <summary>Over an engine set already open (tests pass a fake one); the engines are disposed with the pipeline.</summary>
    internal ModelPipeline(ModelManifest model, IEngineSet engines, PipelineOptions options)
    {
        Model = model;
        _engines = engines;
        Options = options;
        _pipeline = new RestorePipeline(engines, new DiffusionSchedule(model.ScheduleParameters), options);
    }

    private ModelPipeline(ModelManifest model, BirdRuntime bird, PipelineOptions options)
    {
        Model = model;
        Bird = bird;
        Options = options;
    }

    public static ModelPipeline Open(ModelManifest model, ServeSettings settings)
    {
        if (model.IsBird)
        {
            var birdOptions = new PipelineOptions { Model = model.Id, MaxBatch = settings.MaxBatch, MaxJobsInFlight = settings.MaxJobsInFlight };
            IBatchedGraph unet = EngineSetFactory.CreateGraph(model, BirdUNet.Graph, BirdUNet.Signature(model), settings.Engine, Math.Max(1, settings.MaxBatch), settings.Threads);
            return new ModelPipeline(model, new BirdRuntime(model, unet, settings.MaxBatch, TimeSpan.FromMilliseconds(settings.MaxBatchDelayMs)), birdOptions);
        }
        var options = new PipelineOptions
        {
            Model = model.Id,
            MaxBatch = settings.MaxBatch,
            MaxBatchDelay = TimeSpan.FromMilliseconds(settings.MaxBatchDelayMs),
            MaxJobsInFlight = settings.MaxJobsInFlight,
            MaxJobMemoryBytes = settings.MaxJobMemoryBytes,
            Overlap = model.Tile.Lq / 4,
            Input = model.InputContract,
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
        if (_pipeline is not null) await _pipeline.DisposeAsync().ConfigureAwait(false);
        _engines?.Dispose();
        if (Bird is not null) await Bird.DisposeAsync().ConfigureAwait(false);
    }
}
