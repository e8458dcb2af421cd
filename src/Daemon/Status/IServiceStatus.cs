namespace ResShift.Daemon.Status;

/// <summary>What the HTTP endpoints and sd_notify report about the running service.</summary>
public interface IServiceStatus
{
    /// <summary>Models loaded, inputs connected, not draining.</summary>
    bool IsReady { get; }

    /// <summary>Why the service is not ready (null when ready).</summary>
    string? NotReadyReason { get; }

    /// <summary>For /v1/status: queue depths, in-flight jobs, engines (any JSON-serialisable object).</summary>
    StatusSnapshot Snapshot();
}

public sealed record EngineStatus(string Model, string Engine, string Precision, string Device, int MaxBatch, int TileSize);

public sealed record StatusSnapshot(
    string Version,
    bool Ready,
    string? NotReadyReason,
    bool Draining,
    DateTimeOffset StartedAt,
    IReadOnlyDictionary<string, long> QueueDepths,
    int InFlightJobs,
    long JobsCompleted,
    long JobsFailed,
    IReadOnlyList<EngineStatus> Engines,
    IReadOnlyList<string> Inputs)
{
    /// <summary>Running BIRD jobs: iteration and data-fidelity loss of each (empty without BIRD models).</summary>
    public IReadOnlyList<ResShift.Pipeline.Bird.BirdJobProgress> Bird { get; init; } = [];

    /// <summary>Videos in progress (empty when none).</summary>
    public IReadOnlyList<VideoStatus> Videos { get; init; } = [];
}

/// <summary>One video in progress: frames encoded (committed segments of a resumed job included) and tiles, with an ETA from the recent rate.</summary>
public sealed record VideoStatus(string Name, long FramesDone, long FramesExpected, long TilesDone, double? EtaSeconds);
