using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Pipeline.Video.Codec;

/// <summary>What <see cref="ContainerRemux"/> did: the decision, the file now holding the video, the command lines run.</summary>
public sealed record RemuxedVideo(ContainerChoice Choice, string Path, IReadOnlyList<string> CommandLines);

/// <summary>
/// The container step after a video job, one piece for watch roots and the CLI: <see cref="ContainerChoice"/> decides,
/// and when the answer is not Matroska the job's MKV is remuxed beside itself (same name, the container's extension)
/// without re-encoding, and the MKV removed. ffmpeg refusing a container the table allowed keeps the MKV, and the
/// choice then carries ffmpeg's reason.
/// </summary>
public static class ContainerRemux
{
    /// <param name="inputFormat">ffprobe's format name of the input.</param>
    /// <param name="inputName">The input's file name (its extension tells mp4 from mov, mkv from webm).</param>
    /// <param name="mkv">The job's output (Matroska).</param>
    /// <param name="restored">The probe of <paramref name="mkv"/>.</param>
    public static async Task<RemuxedVideo> ApplyAsync(ContainerMode mode, string inputFormat, string inputName, string mkv, MediaProbe restored,
        FfmpegTools tools, CancellationToken cancellationToken)
    {
        ContainerChoice choice = ContainerChoice.Choose(mode, inputFormat, inputName, restored);
        if (choice.Container == OutputContainer.Mkv) return new(choice, mkv, []);
        string remuxed = System.IO.Path.ChangeExtension(mkv, choice.Container.Extension);
        var muxer = new VideoMuxer(tools);
        try
        {
            await muxer.RemuxAsync(mkv, restored, choice.Container, remuxed, cancellationToken).ConfigureAwait(false);
            File.Delete(mkv);
            return new(choice, remuxed, muxer.CommandLines);
        }
        catch (ToolFailedException e)
        {
            // The table said it fits and ffmpeg disagreed: Matroska holds it, and the choice says why.
            File.Delete(remuxed);
            return new(choice.FailedWith($"ffmpeg could not write {choice.Container.Name}: {string.Join(" ", e.StandardError.Trim().Split('\n').TakeLast(2))}"),
                mkv, muxer.CommandLines);
        }
    }
}
