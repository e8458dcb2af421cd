namespace ResShift.Pipeline.Bird;

/// <summary>The restoration tasks of the released BIRD code (shared/spec/bird.md §5).</summary>
public enum BirdTask
{
    Deblur,
    Sr8,
    Denoise,
    Inpaint,
    DeblurNonUniform,
}

/// <summary>Learning rates and iteration count of one task as released.</summary>
public sealed record BirdTaskSettings(BirdTask Task, float LearningRateZ, float LearningRateKernel, int Iterations)
{
    public static BirdTaskSettings For(BirdTask task) => task switch
    {
        BirdTask.Deblur => new(task, 3e-3f, 2e-4f, 100),
        BirdTask.Sr8 => new(task, 1e-3f, 0f, 100),
        BirdTask.Denoise => new(task, 1e-2f, 0f, 200),
        BirdTask.Inpaint => new(task, 1e-2f, 0f, 200),
        BirdTask.DeblurNonUniform => new(task, 2e-3f, 0f, 25),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, null),
    };
}

public static class BirdTaskNames
{
    public static readonly string[] All = ["deblur", "sr8", "denoise", "inpaint", "deblur-nonuniform"];

    public static BirdTask Parse(string name) => name switch
    {
        "deblur" => BirdTask.Deblur,
        "sr8" => BirdTask.Sr8,
        "denoise" => BirdTask.Denoise,
        "inpaint" => BirdTask.Inpaint,
        "deblur-nonuniform" => BirdTask.DeblurNonUniform,
        _ => throw new ArgumentException($"unknown BIRD task '{name}' (one of: {string.Join(", ", All)})"),
    };

    public static string Name(this BirdTask task) => All[(int)task];
}
