using ResShift.Daemon.Configuration;
using ResShift.Daemon.Inputs.Video;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Daemon.Cli;

/// <summary>What <c>restore</c> made of one video: where it is, and the container decision (null: plain MKV, nothing decided).</summary>
/// <param name="Displaced">The name it would have had, when another input of this run had already written it.</param>
public sealed record RestoredVideo(string Path, ContainerChoice? Choice, string? Displaced = null);

/// <summary>
/// Where <c>restore</c> puts one video. <c>--container mkv</c>: the job writes <c>STEM.mkv</c> itself, as it always has.
/// <c>same</c>: the job writes its Matroska into a hidden staging folder beside the target (<c>.resshift-video/</c>, named
/// after the whole input name, so a killed run resumes there and clip.mp4 and clip.mov never share it), then
/// <see cref="ContainerRemux"/> decides and remuxes exactly as for watch roots, and output, then sidecar, are renamed
/// to <c>STEM</c> with the container's extension. An existing file of that name is replaced, the CLI's rule for
/// every output (as for images); <c>--skip-existing</c> leaves an input when any name it could get exists. A name
/// another input of the same run has taken is never replaced: <see cref="RunOutputs"/> gives the next variant.
/// </summary>
public sealed class VideoTarget
{
    /// <summary>The staging folder beside a target (the same name as a watch root's spool).</summary>
    public const string StagingFolder = VideoJobRunner.SpoolFolder;

    private static readonly OutputContainer[] Containers = [OutputContainer.Mkv, OutputContainer.Mp4, OutputContainer.Mov, OutputContainer.Webm];

    private readonly string _stem;
    private readonly string _folder;
    private readonly RunOutputs _outputs;
    private readonly string? _displaced;

    /// <param name="target">The output path the CLI computed (any extension: the container replaces it).</param>
    /// <param name="inputName">The input's file name.</param>
    public VideoTarget(string target, string inputName, ContainerMode mode, RunOutputs outputs)
    {
        _outputs = outputs;
        string full = System.IO.Path.GetFullPath(target);
        _stem = System.IO.Path.ChangeExtension(full, null);
        _folder = System.IO.Path.GetDirectoryName(full)!;
        Mode = mode;
        if (mode == ContainerMode.Mkv)
        {
            // Claimed now, in the inputs' order: two jobs on one output would also share one segment spool.
            string wanted = _stem + OutputContainer.Mkv.Extension;
            JobOutput = outputs.Claim(wanted);
            if (JobOutput != wanted) _displaced = wanted;
        }
        else
        {
            JobOutput = System.IO.Path.Combine(_folder, StagingFolder, System.IO.Path.GetFileName(inputName) + OutputContainer.Mkv.Extension);
        }
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
        if (Mode == ContainerMode.Mkv) return new(JobOutput, null, _displaced);
        string stagedSidecar = JobOutput + ProvenanceFile.Suffix;
        RemuxedVideo remux = await ContainerRemux.ApplyAsync(Mode, result.Probe.FormatName, inputName, result.OutputPath, result.OutputProbe,
            FfmpegTools.Default, ct).ConfigureAwait(false);
        string wanted = _stem + remux.Choice.Container.Extension;
        string final = _outputs.Claim(wanted);
        byte[] sidecar = VideoDelivery.Complete(await File.ReadAllBytesAsync(stagedSidecar, ct).ConfigureAwait(false),
            System.IO.Path.GetFileName(final), remux.Choice, settings, remux.CommandLines);
        File.Move(remux.Path, final, overwrite: true);
        AtomicFile.SyncDirectory(_folder);
        await AtomicFile.WriteAsync(final + ProvenanceFile.Suffix, (s, c) => s.WriteAsync(sidecar, c).AsTask(), ct).ConfigureAwait(false);
        File.Delete(stagedSidecar);
        return new(final, remux.Choice, final == wanted ? null : wanted);
    }

    /// <summary>After a failure (not a drain): whatever of this video is left in the staging folder goes.</summary>
    public void Discard()
    {
        if (Mode == ContainerMode.Mkv) return; // the job cleans up after itself, and JobOutput is the real output
        foreach (string path in Containers.Select(c => System.IO.Path.ChangeExtension(JobOutput, c.Extension)).Append(JobOutput + ProvenanceFile.Suffix))
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

    /// <summary>The lines printed for a video: why same fell back to MKV, and a name taken earlier in this run.</summary>
    public static IEnumerable<string> Notes(string name, RestoredVideo video)
    {
        if (video.Choice is { Mode: ContainerMode.Same, FallbackReasons.Count: > 0 } c)
            yield return $"{name}: written as MKV ({video.Path}), not {c.InputContainer}: {string.Join("; ", c.FallbackReasons)}";
        if (video.Displaced is { } taken)
            yield return $"{name}: {taken} is another input's output in this run; written as {video.Path}";
    }
}
