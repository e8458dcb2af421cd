using ResShift.Daemon.Inputs.Folders;
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

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public bool Draining => _draining;

    public void Loaded(IReadOnlyList<ModelPipeline> pipelines, IReadOnlyList<FolderIntake> intakes)
    {
        _pipelines = pipelines;
        _intakes = intakes;
        _loaded = true;
        _problem = null;
    }

    public void BeginDrain() => _draining = true;

    public void Problem(string? reason) => _problem = reason;

    public bool IsReady => _loaded && !_draining && _problem is null;

    public string? NotReadyReason => _draining ? "draining: shutting down" : _problem ?? (_loaded ? null : "starting");

    /// <summary>Work is waiting somewhere (used by the watchdog to tell idle from stuck).</summary>
    public bool HasPendingWork => _intakes.Any(i => i.Claimed > 0);

    public StatusSnapshot Snapshot()
    {
        var depths = new Dictionary<string, long>
        {
            ["intake"] = _pipelines.Sum(p => (long)p.Pipeline.IntakeDepth),
            ["tiles"] = _pipelines.Sum(p => (long)p.Pipeline.TileQueueDepth),
            ["write"] = _pipelines.Sum(p => (long)p.Pipeline.FinishQueueDepth),
            ["claimed"] = _intakes.Sum(i => (long)i.Claimed),
        };
        return new StatusSnapshot(BuildInfo.Version, IsReady, NotReadyReason, _draining, StartedAt, depths,
            _pipelines.Sum(p => p.Pipeline.InFlightJobs), _intakes.Sum(i => i.Completed), _intakes.Sum(i => i.Failed),
            _pipelines.Select(p => new EngineStatus(p.Model.Id, p.Engines.EngineName, p.Engines.Precision, "cpu", p.Engines.MaxBatch, p.Model.Tile.Lq)).ToList(),
            _intakes.Select(i => "folder:" + i.Layout.Root).ToList());
    }
}
