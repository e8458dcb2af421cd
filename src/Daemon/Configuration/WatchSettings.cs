using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Tiling;

namespace ResShift.Daemon.Configuration;

/// <summary>One watch root and the model and options its files are restored with.</summary>
public sealed class WatchSettings
{
    public string Root { get; set; } = "";
    public string Model { get; set; } = "tiny-x4";
    public double SettleSeconds { get; set; } = 2;
    public int PollMilliseconds { get; set; } = 500;

    /// <summary>Inpainting models: how much longer than the settle time an image waits for its NAME.mask.png.</summary>
    public double MaskWaitSeconds { get; set; } = 10;
    /// <summary>
    /// Daemons sharing this root: how long a daemon's claims stay its own without a refresh of its lease (refreshed
    /// every third of it); a dead peer's claims are taken over once this has passed.
    /// </summary>
    public double LeaseSeconds { get; set; } = 30;
    public ulong Seed { get; set; }
    public double? NoiseScale { get; set; }
    public int? Overlap { get; set; }
    public BlendMode? Blend { get; set; }

    /// <summary>Output format by extension ("png", "tif", ...); null keeps each input's format.</summary>
    public string? OutputFormat { get; set; }

    /// <summary>BIRD models only: the task every file of this root gets (deblur, sr8, denoise, inpaint, deblur-nonuniform).</summary>
    public string? Task { get; set; }

    /// <summary>BIRD inpaint: the mask image (white = known) for this root's files; relative paths are under Root.</summary>
    public string? Mask { get; set; }

    /// <summary>BIRD: iterations (default: the task's released count).</summary>
    public int? Iterations { get; set; }

    /// <summary>BIRD: checkpoint every this many iterations, next to the output (a restart resumes from it).</summary>
    public int CheckpointEvery { get; set; } = 10;

    /// <summary>The BIRD job settings of this root (the task must be set: checked by ServeSettings).</summary>
    public ResShift.Pipeline.Bird.BirdJobSettings BirdSettings() => new()
    {
        Task = ResShift.Pipeline.Bird.BirdTaskNames.Parse(Task ?? ""),
        MaskPath = Mask is { Length: > 0 } ? Path.Combine(Root, Mask) : null,
        Iterations = Iterations,
        Seed = Seed,
        CheckpointEvery = CheckpointEvery,
    };

    /// <summary>How this root's videos are encoded; unset keys take the daemon's Video defaults.</summary>
    public ResShift.Daemon.Configuration.VideoSettings? Video { get; set; }

    /// <summary>Outputs below this go to review/ instead of outbox/ (null = off; calibrate per model, docs/FIDELITY.md).</summary>
    public FidelityThreshold? Fidelity { get; set; }
}
