using System.Globalization;
using System.Text.Json;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Inputs;

/// <summary>
/// The one "already done" rule of every intake: an output on disk is already the result of this job when it exists
/// and its provenance sidecar records the same input bytes (sha256), model, seed and noise scale. Only then may a
/// folder resume skip the work or a redelivery be acked unrecomputed; the same output asked for with another input
/// or settings is recomputed. The sidecar is written after the output, so its presence means the output is complete.
/// </summary>
public static class CompletedOutput
{
    /// <param name="effective">The job's settings resolved against the model's defaults (what the sidecar records).</param>
    public static bool Matches(string output, string input, string model, JobSettings effective) =>
        Matches(output, input, model, effective.Seed ?? 0, effective.NoiseScale);

    public static bool Matches(string output, string input, string model, ulong seed, double? noiseScale)
    {
        if (!File.Exists(output)) return false;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(ProvenanceSidecar.PathFor(output)));
            JsonElement root = doc.RootElement;
            if (root.GetProperty("model").GetProperty("id").GetString() != model) return false;
            if (root.GetProperty("seed").GetUInt64() != seed) return false;
            double? recorded = root.GetProperty("noise_scale").ValueKind == JsonValueKind.Number ? root.GetProperty("noise_scale").GetDouble() : null;
            if (!Same(recorded, noiseScale)) return false;
            string? sha = root.GetProperty("input").GetProperty("sha256").GetString();
            return sha is not null && ContentKey.OfFile(input).Sha256 == sha;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// A video's rule: its output is <c>STEM.mkv</c>, or <c>STEM</c> in the input's own container (a root with
    /// <c>Container: same</c>); the first of these whose sidecar matches counts. A delivery that had to take the next
    /// free name (clip-2.mkv) is not looked for: the worst case is the video restored again under another name.
    /// </summary>
    public static bool MatchesVideo(string outbox, string relative, string input, string model, JobSettings effective) =>
        VideoOutputNames(relative).Any(name => Matches(Path.Combine(outbox, name), input, model, effective));

    private static IEnumerable<string> VideoOutputNames(string relative)
    {
        string mkv = Path.ChangeExtension(relative, ".mkv");
        yield return mkv;
        if (!string.Equals(relative, mkv, StringComparison.Ordinal)) yield return relative;
    }

    // The sidecar stores the double as JSON text; compare through the same round trip.
    private static bool Same(double? a, double? b) =>
        a is null || b is null ? a is null && b is null : a.Value.ToString("R", CultureInfo.InvariantCulture) == b.Value.ToString("R", CultureInfo.InvariantCulture);
}
