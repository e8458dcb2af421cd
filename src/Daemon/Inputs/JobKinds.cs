using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Models;

namespace ResShift.Daemon.Inputs;

/// <summary>
/// The one place that decides what kind of job a request is: from the model's manifest (a BIRD model runs BIRD jobs),
/// then from a probe of the input (a file that is not an image by name and in which ffprobe finds a video stream is a
/// video), otherwise an image. Intakes and the CLI ask here and then only dispatch on the answer.
/// </summary>
public static class JobKinds
{
    /// <summary>What the model alone decides: BIRD for a BIRD model; null when the input decides.</summary>
    public static JobKind? ForModel(ModelManifest model) => model.IsBird ? JobKind.Bird : null;

    /// <summary>An input inside a root, probed through the root's handle (a file that cannot be opened safely is an image: the image path reports why).</summary>
    public static async Task<JobKind> DecideAsync(ModelManifest model, RootDirectory root, string relative, CancellationToken ct) =>
        ForModel(model) ?? (await Video.VideoJobRunner.IsVideoAsync(root, relative, ct).ConfigureAwait(false) ? JobKind.Video : JobKind.Image);

    /// <summary>An input named by the CLI's user.</summary>
    public static async Task<JobKind> DecideAsync(ModelManifest model, string path, CancellationToken ct) =>
        ForModel(model) ?? (await Video.VideoJobRunner.IsVideoAsync(path, ct).ConfigureAwait(false) ? JobKind.Video : JobKind.Image);
}
