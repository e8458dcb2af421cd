namespace ResShift.Pipeline.Processing;

/// <summary>What the pipeline did for one job: its tile plan and where the time went.</summary>
public sealed class JobReport
{
    public required string Name { get; init; }
    public int LqWidth { get; init; }
    public int LqHeight { get; init; }
    public int Tiles { get; init; }
    public int TileSize { get; init; }
    public int Stride { get; init; }
    public Dictionary<string, double> StageSeconds { get; } = new(StringComparer.Ordinal);
    public double TotalSeconds { get; set; }

    /// <summary>The output's consistency with its input (Fidelity guard), set before the output is written.</summary>
    public Fidelity.FidelityReport? Fidelity { get; set; }

    /// <summary>When the job started (Stopwatch timestamp): lets a sidecar written during the write report the total so far.</summary>
    public long StartedTimestamp { get; init; } = System.Diagnostics.Stopwatch.GetTimestamp();

    public double ElapsedSeconds => System.Diagnostics.Stopwatch.GetElapsedTime(StartedTimestamp).TotalSeconds;

    internal void Add(string stage, TimeSpan t)
    {
        lock (StageSeconds) StageSeconds[stage] = StageSeconds.GetValueOrDefault(stage) + t.TotalSeconds;
    }
}
