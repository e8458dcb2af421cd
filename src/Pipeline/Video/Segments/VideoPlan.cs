using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Video.Jobs;

namespace ResShift.Pipeline.Video.Segments;

/// <summary>
/// A planned video job, written into its segment spool (<c>plan.json</c>) so that segment workers on other
/// machines restore with the planner's settings, not their own: the input and its digest, the output, the
/// segment size and count, the settings key every segment record must match, the engine class the job is
/// pinned to, and the job's options. Its id is derived from what it plans (same input, settings, output and
/// engine class: same id), so a re-plan after a lost planner finds and keeps the same plan.
/// </summary>
public sealed record VideoPlan
{
    public const string FileName = "plan.json";

    public int Version { get; init; } = 1;
    public required string Id { get; init; }
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

    public static string IdFor(string inputSha256, string settingsKey, string outputPath, string engine, string precision) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\n', inputSha256, settingsKey, Path.GetFullPath(outputPath), engine, precision))))[..24];

    public IReadOnlyList<Segment> Cut() => SegmentPlan.Cut(Frames, SegmentFrames);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static string PathIn(string spool) => Path.Combine(spool, FileName);

    /// <summary>The plan in the spool beside <paramref name="outputPath"/> (<see cref="SegmentStore.For"/>), or null when there is none (or it is unreadable).</summary>
    public static VideoPlan? TryRead(string outputPath) => TryReadIn(SegmentStore.For(outputPath));

    /// <summary>The plan in <paramref name="spool"/>, or null when there is none (or it is unreadable).</summary>
    public static VideoPlan? TryReadIn(string spool)
    {
        try
        {
            return JsonSerializer.Deserialize<VideoPlan>(File.ReadAllBytes(PathIn(spool)), Json);
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
