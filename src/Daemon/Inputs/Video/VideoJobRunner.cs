using ResShift.Daemon.Serve;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Daemon.Inputs.Video;

/// <summary>
/// The video path of every intake: whether a claimed file is a video (an image name is an image; otherwise a
/// video name, or a video stream found by ffprobe), and running it as a <see cref="VideoRestoreJob"/> on the
/// model's pipeline, where its frames' tiles batch with every other job's. Like <see cref="JobFactory.RunAsync"/>
/// it never throws: it says how the job ended. A drained video keeps its committed segments for the next run.
/// </summary>
public static class VideoJobRunner
{
    public static async Task<bool> IsVideoAsync(string path, CancellationToken ct) =>
        ImageFormats.FromPath(path) is null
        && (VideoFiles.HasVideoExtension(path) || await VideoFiles.HasVideoStreamAsync(path, FfmpegTools.Default, ct).ConfigureAwait(false));

    /// <summary>Where a video's output goes for an image-style output path: the same name in MKV.</summary>
    public static string OutputFor(string imageStyleOutput) => Path.ChangeExtension(imageStyleOutput, ".mkv");

    public static async Task<JobResult> RunAsync(ModelPipeline model, JobSettings effective, string input, string output, string name, string source, CancellationToken ct)
    {
        var job = new VideoRestoreJob(input, output, name, new VideoJobOptions { Model = model.Model.Id, Frame = effective, Source = source });
        try
        {
            await job.RunAsync(model.Pipeline, model.Engines.EngineName, model.Engines.Precision, ct).ConfigureAwait(false);
            return new JobResult(OutcomeKind.Completed);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new JobResult(OutcomeKind.Cancelled) { Error = "stopped by drain (committed segments kept for the next run)", Class = new ErrorClass("cancelled", null, true) };
        }
        catch (Exception e)
        {
            return JobResult.Failure(e);
        }
    }
}
