using System.Text.Json.Nodes;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Jobs;

/// <summary>An image job's sidecar (<see cref="ProvenanceSidecar"/>): the common fields and the "image" block (blend, tile plan, fidelity).</summary>
public static class ImageProvenance
{
    public static ProvenanceSidecar For(FileRestoreJob job, JobReport report, ModelManifest model, string engineName, string precision, JobSettings effective, string outputName)
    {
        var timings = report.StageSeconds.ToDictionary(s => s.Key, s => s.Value);
        timings["total"] = report.ElapsedSeconds; // up to the sidecar: the output is already written
        return new ProvenanceSidecar
        {
            Kind = "image",
            Key = ProvenanceKey.For(model.Id, effective),
            InputName = job.Name,
            InputSha256 = job.Content?.Sha256 ?? throw new InvalidOperationException($"{job.Name}: the job was not loaded"),
            InputWidth = job.InputWidth,
            InputHeight = job.InputHeight,
            OutputName = outputName,
            OutputWidth = job.InputWidth * model.Scale,
            OutputHeight = job.InputHeight * model.Scale,
            Model = model,
            EngineName = engineName,
            EnginePrecision = precision,
            TimingsSeconds = timings,
            Block = new JsonObject
            {
                ["blend"] = effective.Blend?.ToString().ToLowerInvariant(),
                ["tile_plan"] = new JsonObject { ["tile"] = report.TileSize, ["stride"] = report.Stride, ["overlap"] = report.TileSize - report.Stride, ["tiles"] = report.Tiles },
                ["fidelity"] = report.Fidelity is { } fid
                    ? new JsonObject { ["psnr_db"] = Math.Round(fid.PsnrDb, 4), ["ssim"] = Math.Round(fid.Ssim, 6), ["method"] = fid.Method }
                    : null,
            },
        };
    }
}
