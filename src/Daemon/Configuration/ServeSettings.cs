using ResShift.Daemon.Inputs.Folders;
using ResShift.Daemon.Inputs.RabbitMq;
using ResShift.Daemon.Logging;
using ResShift.Pipeline.Models;

namespace ResShift.Daemon.Configuration;

/// <summary>
/// `resshift serve` configuration: bound from a JSON file, RESSHIFT_-prefixed environment variables
/// (RESSHIFT_Http, RESSHIFT_Watch__0__Root, ...) and the command line, in that order of precedence.
/// </summary>
public sealed class ServeSettings
{
    public string Http { get; set; } = "127.0.0.1:9464";

    /// <summary>When set, every HTTP endpoint but /healthz requires 'Authorization: Bearer TOKEN' (also RESSHIFT_HTTP_TOKEN).</summary>
    public string? HttpToken { get; set; }

    /// <summary>auto, simple, systemd or json (see <see cref="Logging.LogFormat"/>).</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Auto;
    public string? ModelsDir { get; set; }
    public EngineKind Engine { get; set; } = EngineKind.Auto;
    public int Threads { get; set; }
    public int MaxBatch { get; set; } = 4;
    public int MaxBatchDelayMs { get; set; } = 5;
    public int MaxJobsInFlight { get; set; } = 4;

    /// <summary>How long in-flight jobs may run after SIGTERM before they are handed back.</summary>
    public int DrainSeconds { get; set; } = 120;
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>Memory the jobs in flight of one model may hold together; 0 = half the machine's (see PipelineOptions).</summary>
    public long MaxJobMemoryBytes { get; set; }

    /// <summary>With work pending and no batch finishing for this long, the watchdog stops being fed.</summary>
    public int StallSeconds { get; set; } = 300;
    public List<WatchSettings> Watch { get; set; } = [];

    /// <summary>Video encoding defaults for every watch root (each root's own Video keys override them).</summary>
    public Configuration.VideoSettings Video { get; set; } = new();

    /// <summary>Queues to consume (see src/Daemon/Inputs/RabbitMq/README.md).</summary>
    public List<RabbitMqSettings> RabbitMq { get; set; } = [];

    /// <summary>Every problem at once, in words an operator can act on.</summary>
    public IReadOnlyList<string> Problems(ModelRegistry registry)
    {
        var p = new List<string>();
        if (Watch.Count == 0 && RabbitMq.Count == 0) p.Add("no input configured: use --watch ROOT, or a 'Watch' or 'RabbitMq' list in the config file");
        if (MaxBatch < 1) p.Add($"MaxBatch must be >= 1 (got {MaxBatch})");
        if (MaxJobsInFlight < 1) p.Add($"MaxJobsInFlight must be >= 1 (got {MaxJobsInFlight})");
        if (DrainSeconds < 0) p.Add($"DrainSeconds must be >= 0 (got {DrainSeconds})");
        if (MaxPixels < 1) p.Add($"MaxPixels must be >= 1 (got {MaxPixels})");
        if (MaxJobMemoryBytes < 0) p.Add($"MaxJobMemoryBytes must be >= 0, 0 = half the machine's memory (got {MaxJobMemoryBytes})");
        if (!HttpAddress.TryParse(Http, out _)) p.Add($"Http must be HOST:PORT (got '{Http}')");
        var roots = new HashSet<string>(StringComparer.Ordinal);
        foreach (WatchSettings w in Watch)
        {
            if (string.IsNullOrWhiteSpace(w.Root)) { p.Add("a watch entry has no Root"); continue; }
            string full = Path.GetFullPath(w.Root);
            if (!roots.Add(full)) p.Add($"watch root {full} is listed twice");
            foreach (string other in roots)
                if (other != full && (full.StartsWith(other + "/", StringComparison.Ordinal) || other.StartsWith(full + "/", StringComparison.Ordinal)))
                    p.Add($"watch roots {other} and {full} are nested");
            ModelManifest? m = registry.Models.FirstOrDefault(x => x.Id == w.Model);
            if (m is null) p.Add($"watch root {full}: unknown model '{w.Model}' (known: {string.Join(", ", registry.Models.Select(x => x.Id).Order())})");
            else if (!m.HasGraphs) p.Add($"watch root {full}: model '{w.Model}' has no ONNX graphs; run 'make models MODEL={w.Model}'");
            else if (m.IsBird)
            {
                try { w.BirdSettings().Validate(); }
                catch (ArgumentException e) { p.Add($"watch root {full}: model '{m.Id}' is a BIRD model: {e.Message}"); }
            }
            else if (w.Task is not null || w.Mask is not null) p.Add($"watch root {full}: Task and Mask apply to BIRD models, not '{m.Id}'");
            else if (w.Overlap is { } o && (o < 0 || o >= m.Tile.Lq)) p.Add($"watch root {full}: Overlap must be in 0..{m.Tile.Lq - 1}");
            if (w.NoiseScale is { } s && !(s >= 0 && s <= 1)) p.Add($"watch root {full}: NoiseScale must be in [0, 1]");
            if (w.SettleSeconds < 0) p.Add($"watch root {full}: SettleSeconds must be >= 0");
            if (!(w.LeaseSeconds >= 1)) p.Add($"watch root {full}: LeaseSeconds must be >= 1");
            if (w.PollMilliseconds < 10) p.Add($"watch root {full}: PollMilliseconds must be >= 10");
            if (w.Fidelity is { } f) p.AddRange(f.Problems($"watch root {full}"));
        }
        var queues = new HashSet<(string, string)>();
        foreach (RabbitMqSettings q in RabbitMq)
        {
            p.AddRange(q.Problems(registry));
            if (!queues.Add((q.Uri, q.Queue))) p.Add($"queue {q.Queue} is listed twice for the same broker");
        }
        return p;
    }
}

public static class HttpAddress
{
    public static bool TryParse(string value, out (string Host, int Port) address)
    {
        address = default;
        int colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out int port) || port is < 0 or > 65535) return false;
        address = (value[..colon].Trim('[', ']'), port);
        return true;
    }
}
