using System.Text.Json;
using System.Text.Json.Nodes;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Serve;

/// <summary>
/// `&lt;output&gt;.resshift.json`: everything needed to reproduce or audit an output — the input's hash, the
/// model and its file hashes, engine, seed, noise scale, tile plan, the output's consistency with its input
/// (fidelity guard), software version and timings.
/// </summary>
public static class ProvenanceSidecar
{
    public const string Suffix = ".resshift.json";

    public static string PathFor(string outputPath) => outputPath + Suffix;

    public static JsonObject Build(FileRestoreJob job, JobReport report, ModelManifest model, IEngineSet engines, JobSettings effective, string outputName)
    {
        var files = new JsonObject();
        foreach (var (role, f) in model.Files) files[role] = f.Sha256;
        var timings = new JsonObject();
        foreach (var (stage, seconds) in report.StageSeconds.OrderBy(s => s.Key, StringComparer.Ordinal)) timings[stage] = Math.Round(seconds, 6);
        timings["total"] = Math.Round(report.ElapsedSeconds, 6); // up to the sidecar: the output is already written
        return new JsonObject
        {
            ["input"] = new JsonObject { ["name"] = job.Name, ["sha256"] = job.Content?.Sha256, ["width"] = job.InputWidth, ["height"] = job.InputHeight },
            ["output"] = new JsonObject { ["name"] = outputName, ["width"] = job.InputWidth * model.Scale, ["height"] = job.InputHeight * model.Scale },
            ["model"] = new JsonObject { ["id"] = model.Id, ["files"] = files, ["licence"] = model.Licence.Id },
            ["engine"] = new JsonObject { ["name"] = engines.EngineName, ["precision"] = engines.Precision },
            ["seed"] = effective.Seed,
            ["noise_scale"] = effective.NoiseScale,
            ["blend"] = effective.Blend?.ToString().ToLowerInvariant(),
            ["tile_plan"] = new JsonObject { ["tile"] = report.TileSize, ["stride"] = report.Stride, ["overlap"] = report.TileSize - report.Stride, ["tiles"] = report.Tiles },
            ["fidelity"] = report.Fidelity is { } fid
                ? new JsonObject { ["psnr_db"] = Math.Round(fid.PsnrDb, 4), ["ssim"] = Math.Round(fid.Ssim, 6), ["method"] = fid.Method }
                : null,
            ["software"] = new JsonObject { ["name"] = "resshift", ["version"] = BuildInfo.Version },
            ["timings_seconds"] = timings,
            ["created_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
        };
    }

    public static Task SerializeAsync(Stream stream, JsonObject sidecar, CancellationToken ct) =>
        JsonSerializer.SerializeAsync(stream, sidecar, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }, ct);
}
