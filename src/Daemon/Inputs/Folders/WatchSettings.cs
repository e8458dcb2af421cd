using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Tiling;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>One watch root and the model and options its files are restored with.</summary>
public sealed class WatchSettings
{
    public string Root { get; set; } = "";
    public string Model { get; set; } = "tiny-x4";
    public double SettleSeconds { get; set; } = 2;
    public int PollMilliseconds { get; set; } = 500;
    public ulong Seed { get; set; }
    public double? NoiseScale { get; set; }
    public int? Overlap { get; set; }
    public BlendMode? Blend { get; set; }

    /// <summary>Output format by extension ("png", "tif", ...); null keeps each input's format.</summary>
    public string? OutputFormat { get; set; }

    /// <summary>Outputs below this go to review/ instead of outbox/ (null = off; calibrate per model, README "Fidelity guard").</summary>
    public FidelityThreshold? Fidelity { get; set; }
}
