using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Benchmarking;

/// <summary>A job with a generated LQ image and a discarded output: no file I/O in the figures.</summary>
public sealed class SyntheticJob(int index, int width, int height) : IRestoreJob
{
    public string Name => $"synthetic-{index}";
    public string Source => "bench";
    public ulong NoiseKey => (ulong)index;

    public ValueTask<LqImage> LoadAsync(CancellationToken cancellationToken)
    {
        var p = new float[3 * width * height];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    p[(c * height + y) * width + x] = MathF.Sin(0.05f * x * (c + 1) + 0.07f * y + index);
        return ValueTask.FromResult(new LqImage(width, height, p));
    }

    public ValueTask WriteAsync(RestoredImage output, JobReport report, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
