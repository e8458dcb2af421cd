using System.Globalization;
using System.Text.Json;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// Whether an output on disk is already the result of this job: it exists and its provenance sidecar records
/// the same input bytes (sha256), model, seed and noise scale. Only then may a redelivery be acked unrecomputed;
/// the same output path asked for with another input or settings is recomputed.
/// </summary>
public static class CompletedOutput
{
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
            return sha is not null && ContentKey.Of(File.ReadAllBytes(input)).Sha256 == sha;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    // The sidecar stores the double as JSON text; compare through the same round trip.
    private static bool Same(double? a, double? b) =>
        a is null || b is null ? a is null && b is null : a.Value.ToString("R", CultureInfo.InvariantCulture) == b.Value.ToString("R", CultureInfo.InvariantCulture);
}
