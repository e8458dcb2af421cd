namespace ResShift.Pipeline.Video.Segments;

/// <summary>Another job's plan, for the same output, is in the spool and that job has not ended: a plan is replaced only by its own job.</summary>
public sealed class PlanTakenException(string name, VideoPlan plan) : Exception(
    $"{name}: the output {plan.OutputPath} is being produced by job '{plan.JobId ?? "(unnamed)"}' (plan {plan.Id}); a plan is replaced only by its own job: send this job again once that one has completed or failed")
{
    /// <summary>The job whose plan is in the spool.</summary>
    public string? Owner { get; } = plan.JobId;
}
