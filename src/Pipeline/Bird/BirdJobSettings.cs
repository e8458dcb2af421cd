namespace ResShift.Pipeline.Bird;

/// <summary>What one BIRD restoration is asked to do.</summary>
public sealed record BirdJobSettings
{
    public required BirdTask Task { get; init; }
    /// <summary>Inpainting: image of the same size, white (≥ 0.5) = known pixel, black = to fill.</summary>
    public string? MaskPath { get; init; }
    /// <summary>Iterations (default: the released count for the task).</summary>
    public int? Iterations { get; init; }
    public ulong Seed { get; init; }
    /// <summary>Save z, Adam and the kernel network every this many iterations (0 = never).</summary>
    public int CheckpointEvery { get; init; } = 10;

    public int IterationsOrDefault => Iterations ?? BirdTaskSettings.For(Task).Iterations;

    public void Validate()
    {
        if (Iterations is < 1) throw new ArgumentException($"--iterations must be at least 1 (got {Iterations})");
        if (CheckpointEvery < 0) throw new ArgumentException("the checkpoint interval cannot be negative");
        if (Task == BirdTask.Inpaint && string.IsNullOrEmpty(MaskPath)) throw new ArgumentException("task inpaint needs --mask (white = known pixels, black = to fill)");
        if (Task != BirdTask.Inpaint && !string.IsNullOrEmpty(MaskPath)) throw new ArgumentException($"--mask applies to inpaint only, not {Task.Name()}");
    }
}
