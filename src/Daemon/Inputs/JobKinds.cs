using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Processes;

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
        ForModel(model) ?? (await IsVideoAsync(root, relative, ct).ConfigureAwait(false) ? JobKind.Video : JobKind.Image);

    /// <summary>An input named by the CLI's user.</summary>
    public static async Task<JobKind> DecideAsync(ModelManifest model, string path, CancellationToken ct) =>
        ForModel(model) ?? (await IsVideoAsync(path, ct).ConfigureAwait(false) ? JobKind.Video : JobKind.Image);

    /// <summary>Not an image by name, and a video by extension or by a video stream that ffprobe finds.</summary>
    public static async Task<bool> IsVideoAsync(string path, CancellationToken ct) =>
        ImageFormats.FromPath(path) is null
        && (VideoFiles.HasVideoExtension(path) || await VideoFiles.HasVideoStreamAsync(path, FfmpegTools.Default, ct).ConfigureAwait(false));

    /// <summary>The same question for a file in a root, read through the root's handle; a file that cannot be opened safely is not a video (the image path reports it).</summary>
    public static async Task<bool> IsVideoAsync(RootDirectory folder, string relative, CancellationToken ct)
    {
        if (ImageFormats.FromPath(relative) is not null) return false;
        if (VideoFiles.HasVideoExtension(relative)) return true;
        try
        {
            using OpenedVideo opened = OpenedVideo.Open(folder, relative);
            return await VideoFiles.HasVideoStreamAsync(opened.Path, FfmpegTools.Default, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
