using ResShift.Pipeline.Noise;

namespace ResShift.Pipeline.Tests.Support;

/// <summary>Fixed, formula-defined "noise" (not random) that records which steps were asked for.</summary>
internal sealed class TableNoise : INoiseSource
{
    public List<int> Steps { get; } = [];

    public static float At(ulong job, int step, int c, int y, int x) =>
        (float)Math.Sin(1.3 * step + 0.7 * c + 0.37 * y + 0.11 * x + 0.05 * job);

    public void Fill(in NoiseRequest r, Span<float> destination)
    {
        Steps.Add(r.Step);
        for (int c = 0; c < r.Channels; c++)
            for (int y = 0; y < r.Height; y++)
                for (int x = 0; x < r.Width; x++)
                    destination[(c * r.Height + y) * r.Width + x] = At(r.JobKey, r.Step, c, r.OriginY + y, r.OriginX + x);
    }
}
