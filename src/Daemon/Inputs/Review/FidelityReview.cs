using System.Text.Json;
using System.Text.Json.Nodes;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Inputs.Review;

/// <summary>
/// Holding back outputs whose consistency with their input is below the threshold of their root, queue or message:
/// the job writes its output to a held path instead of the requested one (decided before anything is written, so a
/// doubtful output never appears where consumers look), and the intake then files a <c>.fidelity.json</c> record
/// next to it and settles the job as <see cref="OutcomeKind.Review"/>. NaN/Inf and constant outputs never get here:
/// the pipeline fails those jobs.
/// </summary>
public static class FidelityReview
{
    public const string RecordSuffix = ".fidelity.json";

    /// <summary>
    /// The job's divert hook: the held target (built only then, so a folder can pick a free name at that moment)
    /// when the figures fall short, else null (keep the requested output).
    /// </summary>
    public static Func<JobReport, OutputTarget?>? Divert(FidelityThreshold? threshold, Func<OutputTarget> held) =>
        threshold is null || threshold.IsOff ? null : report => threshold.Shortfall(report.Fidelity) is null ? null : held();

    /// <summary>A queue job's held output: a <c>review/</c> folder beside the requested output (inside the same root).</summary>
    public static string HeldBeside(string output) => Path.Combine(Path.GetDirectoryName(output)!, "review", Path.GetFileName(output));

    public static JsonObject Record(string input, string heldOutput, string requestedOutput, string model, JobReport report, FidelityThreshold? threshold)
    {
        FidelityReport? f = report.Fidelity;
        return new JsonObject
        {
            ["input"] = input,
            ["output"] = heldOutput,
            ["requested_output"] = requestedOutput,
            ["model"] = model,
            ["fidelity"] = f is null ? null : new JsonObject { ["psnr_db"] = Math.Round(f.PsnrDb, 4), ["ssim"] = Math.Round(f.Ssim, 6), ["method"] = f.Method },
            ["threshold"] = new JsonObject { ["min_psnr_db"] = threshold?.MinPsnrDb, ["min_ssim"] = threshold?.MinSsim },
            ["reason"] = threshold?.Shortfall(f),
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
            ["software_version"] = BuildInfo.Version,
        };
    }

    /// <summary>
    /// Writes the record durably through the folder's handle (temporary name, fsync, rename; no link followed), never
    /// over an existing file unless <paramref name="replace"/>.
    /// </summary>
    public static Task WriteAsync(RootDirectory root, string relative, JsonObject record, bool replace, CancellationToken ct) =>
        root.WriteAtomicAsync(relative, (s, token) => JsonSerializer.SerializeAsync(s, record, new JsonSerializerOptions { WriteIndented = true }, token), replace, ct);
}
