using ResShift.Daemon.Configuration;
using ResShift.Daemon.Inputs.Video;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Daemon.Cli;

/// <summary>What <c>restore</c> made of one video: where it is, and the container decision (null: plain MKV, nothing decided).</summary>
public sealed record RestoredVideo(string Path, ContainerChoice? Choice);

/// <summary>
/// Where <c>restore</c> puts one video. <c>--container mkv</c>: the job writes <c>STEM.mkv</c> itself, as it always has.
/// <c>same</c>: the job writes its Matroska into a hidden staging folder beside the target (<c>.resshift-video/</c>, named
/// after the whole input name, so a killed run resumes there and clip.mp4 and clip.mov never share it), then
/// <see cref="ContainerRemux"/> decides and remuxes exactly as for watch roots, and output, then sidecar, are renamed
/// to <c>STEM</c> with the container's extension. An existing file of that name is replaced, the CLI's rule for
/// every output (as for images); <c>--skip-existing</c> leaves an input when any name it could get exists.
/// </summary>
public sealed class VideoTarget
{
    /// <summary>The staging folder beside a target (the same name as a watch root's spool).</summary>
    public const string StagingFolder = VideoJobRunner.SpoolFolder;

    private const string SidecarSuffix = ".resshift.json";
    private static readonly OutputContainer[] Containers = [OutputContainer.Mkv, OutputContainer.Mp4, OutputContainer.Mov, OutputContainer.Webm];

    private readonly string _stem;
    private readonly string _folder;

    /// <param name="target">The output path the CLI computed (any extension: the container replaces it).</param>
    /// <param name="inputName">The input's file name.</param>
    public VideoTarget(string target, string inputName, ContainerMode mode)
    {
        string full = System.IO.Path.GetFullPath(target);
        _stem = System.IO.Path.ChangeExtension(full, null);
        _folder = System.IO.Path.GetDirectoryName(full)!;
        Mode = mode;
        JobOutput = mode == ContainerMode.Mkv
            ? _stem + OutputContainer.Mkv.Extension
            : System.IO.Path.Combine(_folder, StagingFolder, System.IO.Path.GetFileName(inputName) + OutputContainer.Mkv.Extension);
    }

    public ContainerMode Mode { get; }

    /// <summary>Whether a path is named like a video this command writes (mkv, mp4, mov, webm): a file, not a folder, for one input.</summary>
    public static bool IsContainerName(string path) =>
        Containers.Any(c => System.IO.Path.GetExtension(path).Equals(c.Extension, StringComparison.OrdinalIgnoreCase));

    /// <summary>Where the video job writes its Matroska (and, beside it, its segments while it runs).</summary>
    public string JobOutput { get; }

    /// <summary>Whether an output this input could get already exists (the MKV, or with same any container's name).</summary>
    public bool Exists() => Mode == ContainerMode.Mkv
        ? File.Exists(JobOutput)
        : Containers.Any(c => File.Exists(_stem + c.Extension));

    /// <summary>After the job: the container step (same), the sidecar completed, both renamed into place.</summary>
    public async Task<RestoredVideo> FinishAsync(VideoResult result, string inputName, VideoSettings settings, CancellationToken ct)
    {
        if (Mode == ContainerMode.Mkv) return new(JobOutput, null);
        string stagedSidecar = JobOutput + SidecarSuffix;
        RemuxedVideo remux = await ContainerRemux.ApplyAsync(Mode, result.Probe.FormatName, inputName, result.OutputPath, result.OutputProbe,
            FfmpegTools.Default, ct).ConfigureAwait(false);
        string final = _stem + remux.Choice.Container.Extension;
        byte[] sidecar = VideoDelivery.Complete(await File.ReadAllBytesAsync(stagedSidecar, ct).ConfigureAwait(false),
            System.IO.Path.GetFileName(final), remux.Choice, settings, remux.CommandLines);
        File.Move(remux.Path, final, overwrite: true);
        AtomicFile.SyncDirectory(_folder);
        await AtomicFile.WriteAsync(final + SidecarSuffix, (s, c) => s.WriteAsync(sidecar, c).AsTask(), ct).ConfigureAwait(false);
        File.Delete(stagedSidecar);
        return new(final, remux.Choice);
    }

    /// <summary>After a failure (not a drain): whatever of this video is left in the staging folder goes.</summary>
    public void Discard()
    {
        if (Mode == ContainerMode.Mkv) return; // the job cleans up after itself, and JobOutput is the real output
        foreach (string path in Containers.Select(c => System.IO.Path.ChangeExtension(JobOutput, c.Extension)).Append(JobOutput + SidecarSuffix))
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>The staging folder, once empty (kept while a killed or drained job's segments are in it).</summary>
    public void RemoveStaging()
    {
        if (Mode == ContainerMode.Mkv) return;
        try
        {
            Directory.Delete(System.IO.Path.Combine(_folder, StagingFolder));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not empty (another video still running, or segments kept for a resume) or already gone.
        }
    }

    /// <summary>The line printed when same fell back to MKV; null when nothing fell back.</summary>
    public static string? FallbackLine(string name, RestoredVideo video) =>
        video.Choice is { Mode: ContainerMode.Same, FallbackReasons.Count: > 0 } c
            ? $"{name}: written as MKV ({video.Path}), not {c.InputContainer}: {string.Join("; ", c.FallbackReasons)}"
            : null;
}
