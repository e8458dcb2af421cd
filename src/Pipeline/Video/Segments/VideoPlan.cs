using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;

namespace ResShift.Pipeline.Video.Segments;

/// <summary>
/// A planned video job, written into its segment spool (<c>plan.json</c>) so that segment workers on other
/// machines restore with the planner's settings, not their own: the input and its digest, the output, the
/// segment size and count, the settings key every segment record must match, the engine class the job is
/// pinned to, the job's options, and the job it belongs to. Its id is a digest the planner makes from what it plans,
/// the job's id and a random salt: a segment message proves it belongs to the plan by carrying that id (which nobody
/// can derive from the input and output alone) and the plan's job id. A re-plan by the same job (a planner lost
/// before its ack) finds and keeps the plan, so its id, and the messages already published, stay valid.
/// </summary>
public sealed record VideoPlan
{
    public const string FileName = "plan.json";

    public int Version { get; init; } = 1;
    public required string Id { get; init; }

    /// <summary>The id of the job (message) that planned it; only that job may replace it while it runs. Null for the CLI.</summary>
    public string? JobId { get; init; }
    public required string Name { get; init; }
    public required string InputPath { get; init; }
    public required string OutputPath { get; init; }
    public required string InputSha256 { get; init; }
    public long Frames { get; init; }
    public int SegmentFrames { get; init; }
    public int Segments { get; init; }
    public int Scale { get; init; }
    public required string SettingsKey { get; init; }
    public required string Engine { get; init; }
    public required string Precision { get; init; }

    /// <summary>The delivered output may replace an earlier output this service wrote (the message's "replace").</summary>
    public bool Replace { get; init; }
    public required VideoJobOptions Options { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>A new plan id: sha256 over a random salt, the job and what it plans (32 hex digits).</summary>
    public static string NewId(string? jobId, string inputSha256, string settingsKey, string outputPath, string engine, string precision) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n',
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), jobId ?? "", inputSha256, settingsKey, Path.GetFullPath(outputPath), engine, precision))))[..32];

    /// <summary>Whether <paramref name="other"/> plans the same work (same input, settings, output, segments): its segments are this plan's.</summary>
    public bool SameWorkAs(VideoPlan other) =>
        other.InputSha256 == InputSha256 && other.SettingsKey == SettingsKey && other.OutputPath == OutputPath && other.Segments == Segments
        && other.SegmentFrames == SegmentFrames && other.Engine == Engine && other.Precision == Precision;

    /// <summary>A plan file is a few KB (the job's options); anything larger is not read.</summary>
    public const int MaxBytes = 1 << 20;

    public IReadOnlyList<Segment> Cut() => SegmentPlan.Cut(Frames, SegmentFrames);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static string PathIn(string spool) => Path.Combine(spool, FileName);

    /// <summary>The plan in the spool beside <paramref name="outputPath"/> (<see cref="SegmentStore.For"/>), or null when there is none (or it is unreadable).</summary>
    public static VideoPlan? TryRead(string outputPath) => TryReadIn(SegmentStore.For(outputPath));

    /// <summary>The plan in <paramref name="spool"/>, or null when there is none (or it is unreadable).</summary>
    public static VideoPlan? TryReadIn(string spool) => TryRead(() => File.ReadAllBytes(PathIn(spool)));

    /// <param name="read">The plan file's bytes (an <see cref="IOException"/> when it cannot be read).</param>
    public static VideoPlan? TryRead(Func<byte[]> read)
    {
        try
        {
            return JsonSerializer.Deserialize<VideoPlan>(read(), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Writes the plan atomically (fsync + rename) into the spool beside the output, creating the spool.</summary>
    public Task WriteAsync(CancellationToken cancellationToken) => WriteAsync(SegmentStore.For(OutputPath), cancellationToken);

    /// <summary>Writes the plan atomically (fsync + rename) into <paramref name="spool"/>, creating it.</summary>
    public async Task WriteAsync(string spool, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(spool);
        await AtomicFile.WriteAsync(PathIn(spool), (s, ct) => s.WriteAsync(ToJson(), ct).AsTask(), cancellationToken).ConfigureAwait(false);
    }
}
