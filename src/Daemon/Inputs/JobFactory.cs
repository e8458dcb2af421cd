using ResShift.Daemon.Inputs.Review;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Inputs;

/// <summary>
/// Builds an intake's pipeline jobs: a <see cref="FileRestoreJob"/> with the effective settings and a hook that
/// writes the provenance sidecar durably after the output, so "output + sidecar present" always means finished.
/// One per intake (the decoder carries the pixel limit; encoder and decoder are stateless and shared by its jobs).
/// </summary>
public sealed class JobFactory(long maxPixels)
{
    private readonly ImageDecoder _decoder = new(new ImageDecoderOptions { MaxPixels = maxPixels });
    private readonly ImageEncoder _encoder = new();

    /// <param name="effective">Settings already resolved against the model's defaults (<see cref="PipelineOptions.Resolve"/>): the sidecar records them.</param>
    /// <param name="name">How logs, metrics and the sidecar name the input (relative path, or the message's path).</param>
    /// <param name="source">The metrics label: folder, rabbitmq.</param>
    /// <param name="sidecarOutputName">The output's name as the sidecar records it.</param>
    /// <param name="threshold">The fidelity threshold (null or empty = off): below it the output goes to <paramref name="heldOutput"/>.</param>
    public FileRestoreJob Create(ModelPipeline model, JobSettings effective, string input, string output, string name, string source, string sidecarOutputName,
        FidelityThreshold? threshold = null, string? heldOutput = null) =>
        new(input, output, name, source, model.Model.Scale, _decoder, _encoder)
        {
            Settings = effective,
            Divert = heldOutput is null ? null : FidelityReview.Divert(threshold, heldOutput),
            AfterWrite = (job, report, ct) => new ValueTask(ProvenanceSidecar.WriteAsync(job.WrittenPath,
                ProvenanceSidecar.Build(job, report, model.Model, model.Engines, effective, job.Diverted ? Path.GetFileName(job.WrittenPath) : sidecarOutputName), ct)),
        };

    /// <summary>Runs <paramref name="job"/> through its model's pipeline and says how it ended; never throws.</summary>
    public static async Task<JobResult> RunAsync(ModelPipeline model, FileRestoreJob job, CancellationToken ct)
    {
        try
        {
            Task<JobReport> done = await model.Pipeline.SubmitAsync(job, ct).ConfigureAwait(false);
            JobReport report = await done.ConfigureAwait(false);
            return job.Diverted
                ? new JobResult(OutcomeKind.Review) { Report = report, Error = $"held for review: output below its fidelity threshold ({job.WrittenPath})" }
                : new JobResult(OutcomeKind.Completed) { Report = report };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new JobResult(OutcomeKind.Cancelled) { Error = "stopped by drain", Class = new ErrorClass("cancelled", null, true) };
        }
        catch (Exception e)
        {
            return JobResult.Failure(e);
        }
    }
}
