using ResShift.Daemon.Status;

namespace ResShift.Daemon.Tests.Http;

internal sealed class FakeServiceStatus : IServiceStatus
{
    public static readonly DateTimeOffset Started = new(2026, 11, 22, 8, 30, 0, TimeSpan.Zero);

    public volatile string? Reason = "models loading";

    public bool IsReady => Reason is null;
    public string? NotReadyReason => Reason;

    public StatusSnapshot Snapshot() => new(
        Version: "0.1.0-test",
        Ready: IsReady,
        NotReadyReason: Reason,
        Draining: false,
        StartedAt: Started,
        QueueDepths: new Dictionary<string, long> { ["intake"] = 3, ["tiles"] = 17, ["write"] = 0 },
        InFlightJobs: 2,
        JobsCompleted: 41,
        JobsFailed: 1,
        Engines: [new EngineStatus("tiny-x4", "onnxruntime", "fp32", "cpu", 8, 64)],
        Inputs: ["folder"]);
}
