using ResShift.Daemon.Inputs;
using ResShift.Daemon.Status;
using ResShift.Pipeline.Bird;
using ResShift.Daemon.Backends;

namespace ResShift.Daemon.Serve;

/// <summary>Readiness and the /v1/status snapshot, assembled from the live pipelines and intakes.</summary>
public sealed class ServiceState : IServiceStatus
{
    private volatile bool _loaded;
    private volatile bool _draining;
    private volatile string? _problem = "starting: loading models";
    private IReadOnlyList<ModelPipeline> _pipelines = [];
    private IReadOnlyList<IIntake> _intakes = [];

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public bool Draining => _draining;

    public void Loaded(IReadOnlyList<ModelPipeline> pipelines, IReadOnlyList<IIntake> intakes)
    {
        _pipelines = pipelines;
        _intakes = intakes;
        _loaded = true;
        _problem = null;
    }

    public void BeginDrain() => _draining = true;

    public void Problem(string? reason) => _problem = reason;

    public bool IsReady => _loaded && !_draining && _problem is null && IntakeProblem is null;

    public string? NotReadyReason => _draining ? "draining: shutting down" : _problem ?? (_loaded ? IntakeProblem : "starting");

    /// <summary>The first intake that cannot take work, e.g. a queue not connected ("inputs connected" is part of readiness).</summary>
    private string? IntakeProblem => _intakes.Select(i => i.Problem).FirstOrDefault(p => p is not null);

    /// <summary>Work is waiting somewhere (used by the watchdog to tell idle from stuck).</summary>
    public bool HasPendingWork => _intakes.Any(i => i.Claimed > 0);

    private IEnumerable<ModelPipeline> Tiled => _pipelines.Where(p => !p.IsBird);

    public StatusSnapshot Snapshot()
    {
        var depths = new Dictionary<string, long>
        {
            ["intake"] = Tiled.Sum(p => (long)p.Pipeline.IntakeDepth),
            ["tiles"] = Tiled.Sum(p => (long)p.Pipeline.TileQueueDepth),
            ["write"] = Tiled.Sum(p => (long)p.Pipeline.FinishQueueDepth),
            // Always present, as before: dashboards and scripts read both even when one kind of intake is absent.
            ["claimed"] = 0,
            ["unacked"] = 0,
        };
        foreach (IIntake i in _intakes) depths[i.ClaimsName] = depths.GetValueOrDefault(i.ClaimsName) + i.Claimed;
        return new StatusSnapshot(BuildInfo.Version, IsReady, NotReadyReason, _draining, StartedAt, depths,
            Tiled.Sum(p => p.Pipeline.InFlightJobs) + BirdMetrics.Running.Count, _intakes.Sum(i => i.Completed), _intakes.Sum(i => i.Failed),
            _pipelines.Select(p => p.IsBird
                ? new EngineStatus(p.Model.Id, "onnxruntime", "fp32", "cpu", p.Bird!.MaxBatch, p.Model.Bird!.Image)
                : new EngineStatus(p.Model.Id, p.Engines.EngineName, p.Engines.Precision, p.Engines.Device, p.Engines.MaxBatch, p.Model.Tile.Lq)).ToList(),
            _intakes.Select(i => i.Describe).ToList())
        {
            Bird = BirdMetrics.Running,
            Videos = Pipeline.Video.Jobs.LiveVideos.Snapshot().Select(v => new VideoStatus(v.Name, v.Progress.FramesDone, v.Progress.FramesExpected,
                v.Progress.TilesDone, v.Progress.EtaSeconds is { } eta ? Math.Round(eta, 1) : null)).ToList(),
        };
    }
}
