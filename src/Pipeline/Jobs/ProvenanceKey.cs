using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Jobs;

/// <summary>
/// What decides a job's result besides its input (and mask) bytes, as its sidecar records it: two jobs with equal keys
/// on the same bytes produce the same output, so an output whose sidecar records this key and those bytes is this
/// job's result (<see cref="CompletedOutput"/>). Fields a kind does not have stay null.
/// </summary>
public sealed record ProvenanceKey
{
    public required string Model { get; init; }
    public ulong Seed { get; init; }
    /// <summary>Images and videos: the noise scale the job ran with (null: the model's own).</summary>
    public double? NoiseScale { get; init; }
    /// <summary>BIRD: the task's name.</summary>
    public string? Task { get; init; }
    /// <summary>BIRD: the iteration count.</summary>
    public int? Iterations { get; init; }

    /// <summary>An image or video job's key, from its settings resolved against the model's defaults.</summary>
    public static ProvenanceKey For(string model, JobSettings effective) =>
        new() { Model = model, Seed = effective.Seed ?? 0, NoiseScale = effective.NoiseScale };
}
