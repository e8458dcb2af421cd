using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Pipeline.Video;

/// <summary>Which inputs are videos: the extensions a folder walk takes, and a probe for files named explicitly.</summary>
public static class VideoFiles
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".mp4", ".m4v", ".mkv", ".mov", ".webm", ".avi", ".ts", ".m2ts", ".mts", ".mxf", ".mpg", ".mpeg", ".wmv", ".flv",
    };

    public static bool HasVideoExtension(string path) => Extensions.Contains(Path.GetExtension(path));

    /// <summary>The output name of a restored video: the same relative path, in MKV (the container that holds every stream).</summary>
    public static string OutputName(string relative) => Path.ChangeExtension(relative, ".mkv");

    /// <summary>
    /// Whether ffprobe finds a video stream (not a cover picture) in the file. False for files it cannot read and
    /// when ffprobe is missing: the caller then treats the file by its extension and the job reports the reason.
    /// </summary>
    public static async Task<bool> HasVideoStreamAsync(string path, FfmpegTools tools, CancellationToken cancellationToken)
    {
        try
        {
            MediaProbe probe = await new VideoProber(tools).ProbeAsync(path, cancellationToken).ConfigureAwait(false);
            // Still-image and animation demuxers (GIF, APNG, image pipes, ANSI art) are not videos here: they keep the image path's answer.
            string format = probe.FormatName;
            return probe.Video is not null && !format.EndsWith("_pipe", StringComparison.Ordinal)
                && format is not ("image2" or "gif" or "apng" or "tty" or "ico" or "alias_pix" or "brender_pix");
        }
        catch (Exception e) when (e is ToolFailedException or ToolNotFoundException or System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
