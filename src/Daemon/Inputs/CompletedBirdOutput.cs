using System.Globalization;
using System.Text.Json;
using ResShift.Pipeline.Bird;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Inputs;

/// <summary>
/// The "already done" rule for BIRD jobs (<see cref="CompletedOutput"/> for image jobs): the output exists and its
/// BIRD sidecar records the same input bytes (sha256), model, task, seed, iteration count and, when the task takes a
/// mask, the same mask bytes. Everything is read through the job's root handles (no link followed, size-limited).
/// The sidecar is made visible before the image, so only the image's presence says the pair is complete.
/// </summary>
public static class CompletedBirdOutput
{
    private const long MaxSidecarBytes = 16L << 20;

    public static bool Matches(BirdJobFiles files, string model, BirdJobSettings settings)
    {
        try
        {
            if (files.OutputRoot.Stat(files.Output) is not { } entry || entry.Kind != FileKind.Regular) return false;
            using JsonDocument doc = JsonDocument.Parse(files.OutputRoot.ReadAllBytes(files.Output + BirdJobFiles.ProvenanceSuffix, MaxSidecarBytes));
            JsonElement root = doc.RootElement;
            if (root.GetProperty("kind").GetString() != "bird") return false;
            if (root.GetProperty("model").GetString() != model) return false;
            if (root.GetProperty("task").GetString() != settings.Task.Name()) return false;
            if (root.GetProperty("seed").GetString() != settings.Seed.ToString(CultureInfo.InvariantCulture)) return false;
            if (root.GetProperty("iterations").GetInt32() != settings.IterationsOrDefault) return false;
            string? mask = root.TryGetProperty("mask_sha256", out JsonElement m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            if (files.Mask is var (maskRoot, maskRel))
            {
                if (mask is null || ContentKey.Of(maskRoot.ReadAllBytes(maskRel, files.MaxInputBytes)).Sha256 != mask) return false;
            }
            else if (mask is not null) return false;
            string? sha = root.GetProperty("input_sha256").GetString();
            return sha is not null && ContentKey.Of(files.InputRoot.ReadAllBytes(files.Input, files.MaxInputBytes)).Sha256 == sha;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException
            or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // Unreadable, a link (UnsafePathException is an IOException), too large, not ours: not proof of a finished job, so the job runs (and is refused or renamed as usual).
            return false;
        }
    }
}
