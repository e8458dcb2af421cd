using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResShift.Pipeline.Video.Segments;

/// <summary>
/// What a committed segment holds, written next to it once its file is durably in place: enough to check it
/// on resume instead of trusting its presence (the range, the source pts, the input's digest and the settings
/// that shape the frames, the file's sha256, the engine class).
/// </summary>
public sealed record SegmentRecord
{
    public int Index { get; init; }
    public long FirstFrame { get; init; }
    public long Frames { get; init; }
    public long FirstPts { get; init; }
    public long LastPts { get; init; }
    public required string InputSha256 { get; init; }
    /// <summary>Everything besides the input that decides the frames and bytes (model, seed, noise, encoder...).</summary>
    public required string SettingsKey { get; init; }
    public required string OutputSha256 { get; init; }
    public required string Engine { get; init; }
    public required string Precision { get; init; }

    /// <summary>Who computed it (host:pid): provenance for segments spread over several daemons.</summary>
    public string? Worker { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static SegmentRecord? TryRead(string path) => TryRead(() => File.ReadAllBytes(path));

    /// <param name="read">The record's bytes (an <see cref="IOException"/> when it cannot be read).</param>
    public static SegmentRecord? TryRead(Func<byte[]> read)
    {
        try
        {
            return JsonSerializer.Deserialize<SegmentRecord>(read(), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }
}
