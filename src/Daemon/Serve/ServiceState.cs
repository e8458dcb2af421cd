using ResShift.Daemon.Inputs.Folders;
using ResShift.Daemon.Inputs.RabbitMq;
using ResShift.Daemon.Status;

namespace ResShift.Daemon.Serve;

/// <summary>Readiness and the /v1/status snapshot, assembled from the live pipelines and intakes.</summary>
public sealed class ServiceState : IServiceStatus
{
    private volatile bool _loaded;
    private volatile bool _draining;
    private volatile string? _problem = "starting: loading models";
    private IReadOnlyList<ModelPipeline> _pipelines = [];
    private IReadOnlyList<FolderIntake> _intakes = [];
    private IReadOnlyList<RabbitMqIntake> _queues = [];

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public bool Draining => _draining;

    public void Loaded(IReadOnlyList<ModelPipeline> pipelines, IReadOnlyList<FolderIntake> intakes, IReadOnlyList<RabbitMqIntake>? queues = null)
    {
        _pipelines = pipelines;
        _intakes = intakes;
        _queues = queues ?? [];
        _loaded = true;
        _problem = null;
    }

    public void BeginDrain() => _draining = true;

    public void Problem(string? reason) => _problem = reason;

    public bool IsReady => _loaded && !_draining && _problem is null && QueueProblem is null;

    public string? NotReadyReason => _draining ? "draining: shutting down" : _problem ?? (_loaded ? QueueProblem : "starting");

    /// <summary>The first queue not connected and consuming ("inputs connected" is part of readiness).</summary>
    private string? QueueProblem => _queues.Select(q => q.Problem).FirstOrDefault(p => p is not null);

    /// <summary>Work is waiting somewhere (used by the watchdog to tell idle from stuck).</summary>
    public bool HasPendingWork => _intakes.Any(i => i.Claimed > 0) || _queues.Any(q => q.Claimed > 0);

    public StatusSnapshot Snapshot()
    {
        var depths = new Dictionary<string, long>
        {
            ["intake"] = _pipelines.Sum(p => (long)p.Pipeline.IntakeDepth),
            ["tiles"] = _pipelines.Sum(p => (long)p.Pipeline.TileQueueDepth),
            ["write"] = _pipelines.Sum(p => (long)p.Pipeline.FinishQueueDepth),
            ["claimed"] = _intakes.Sum(i => (long)i.Claimed),
            ["unacked"] = _queues.Sum(q => (long)q.Claimed),
        };
        return new StatusSnapshot(BuildInfo.Version, IsReady, NotReadyReason, _draining, StartedAt, depths,
            _pipelines.Sum(p => p.Pipeline.InFlightJobs), _intakes.Sum(i => i.Completed) + _queues.Sum(q => q.Completed), _intakes.Sum(i => i.Failed) + _queues.Sum(q => q.Failed),
            _pipelines.Select(p => new EngineStatus(p.Model.Id, p.Engines.EngineName, p.Engines.Precision, "cpu", p.Engines.MaxBatch, p.Model.Tile.Lq)).ToList(),
            _intakes.Select(i => "folder:" + i.Layout.Root).Concat(_queues.Select(q => "rabbitmq:" + q.Queue)).ToList());
    }
}
