using ResShift.Daemon.Configuration;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Processes;
using ResShift.Daemon.Backends;
using SegmentsFolder = ResShift.Pipeline.Video.Segments.SpoolFolder;

namespace ResShift.Daemon.Inputs.Video;

/// <summary>
/// The video path of every intake: whether a claimed file is a video (an image name is an image; otherwise a
/// video name, or a video stream found by ffprobe), and running it as a <see cref="VideoRestoreJob"/> on the
/// model's pipeline, where its frames' tiles batch with every other job's. Like <see cref="JobFactory.RunAsync"/>
/// it never throws: it says how the job ended. A drained video keeps its committed segments for the next run.
/// </summary>
public static class VideoJobRunner
{
    /// <summary>The spool of a watch root: a hidden folder beside inbox/ where videos are restored before delivery.</summary>
    public const string SpoolFolder = ".resshift-video";

    /// <summary>
    /// A watch root's video: opened through <paramref name="from"/>'s handle (no link followed) and read by ffmpeg
    /// through that descriptor, restored with <paramref name="settings"/> into the root's spool, then delivered into
    /// <paramref name="outbox"/> by a rename that never replaces a file. A video left in the spool by a killed run
    /// resumes there at its first uncommitted segment.
    /// </summary>
    public static async Task<JobResult> RunInRootAsync(ModelPipeline model, JobSettings effective, VideoSettings settings,
        RootDirectory root, RootDirectory from, string relative, RootDirectory outbox, string source, long maxPixels, CancellationToken ct)
    {
        OpenedVideo? opened = null;
        RootDirectory? spool = null, folder = null;
        SegmentsFolder? segments = null;
        // Named after the whole input name: clip.mp4 and clip.mov claimed together must not share a spool.
        string name = Path.GetFileName(relative) + ".mkv", sub = Path.GetDirectoryName(relative) ?? "";
        try
        {
            opened = OpenedVideo.Open(from, relative);
            // Every folder of the spool is reached through a handle with no link followed (the root's own
            // .resshift-video/, its subfolder for a nested input, the job's segment folder, which must bear our mark).
            spool = root.OpenDirectory(SpoolFolder);
            folder = sub.Length == 0 ? null : spool.OpenDirectory(sub);
            segments = await SegmentsFolder.OpenAsync(folder ?? spool, "." + name + ".resshift-segments", create: true, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            segments?.Dispose();
            folder?.Dispose();
            spool?.Dispose();
            opened?.Dispose();
            // A link or a folder this service did not make in its spool is permanent for this name: failed/, with the reason.
            return JobResult.Failure(e is UnsafePathException
                ? new JobRejectedException("path", $"{relative}: its video spool in {SpoolFolder}/: {e.Message}")
                : new VideoException(relative, e.Message, e));
        }
        using (opened)
        using (spool)
        using (folder)
        using (segments)
        {
            string stem = Path.ChangeExtension(relative, null);
            RootDirectory outputFolder = folder ?? spool;
            string spoolOutput = Path.Combine(outputFolder.DescriptorPath, name);
            var job = new VideoRestoreJob(opened.Path, spoolOutput, relative, settings.ToOptions(model.Model.Id, effective, source))
            {
                MaxPixels = maxPixels, Spool = segments, SpoolPath = segments!.Path,
            };
            VideoResult? restored = null;
            JobResult result = await RunJobAsync(model, job, ct, r => restored = r).ConfigureAwait(false);
            if (restored is null) return result;
            try
            {
                // Not cancelled by a drain: a remux and two renames, and the segments are already gone.
                await new VideoDelivery(outputFolder, outbox, FfmpegTools.Default).DeliverAsync(restored, job.SidecarPath, relative, stem, settings, CancellationToken.None).ConfigureAwait(false);
                return result;
            }
            catch (Exception e)
            {
                return JobResult.Failure(new VideoException(relative, "delivering the restored video failed: " + e.Message, e));
            }
            finally
            {
                // Whatever was not delivered (an output a failed delivery left, a remux, the spool's sidecar) goes.
                foreach (string leftover in new[] { spoolOutput, job.SidecarPath }.Concat(OutputContainers.Select(c => Path.ChangeExtension(spoolOutput, c.Extension))))
                    AtomicFile.TryDelete(leftover);
                RelativeNames.RemoveEmptyParents(spool, relative);
            }
        }
    }

    private static readonly OutputContainer[] OutputContainers = [OutputContainer.Mp4, OutputContainer.Mov, OutputContainer.Webm];

    private static async Task<JobResult> RunJobAsync(ModelPipeline model, VideoRestoreJob job, CancellationToken ct, Action<VideoResult>? done = null)
    {
        try
        {
            VideoResult r = await job.RunAsync(model.Pipeline, model.Engines.EngineName, model.Engines.Precision, ct).ConfigureAwait(false);
            done?.Invoke(r);
            return new JobResult(OutcomeKind.Completed);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Drained();
        }
        catch (Exception e)
        {
            return JobResult.Failure(e);
        }
    }

    /// <summary>A video stopped by a drain: its committed segments are the next run's starting point.</summary>
    internal static JobResult Drained() =>
        new(OutcomeKind.Cancelled) { Error = "stopped by drain (committed segments kept for the next run)", Class = new ErrorClass("cancelled", null, true) };
}
