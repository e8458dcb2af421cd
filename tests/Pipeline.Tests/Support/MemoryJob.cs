using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Tests.Support;

/// <summary>A job whose input is a synthetic LQ image in memory and whose output is kept for inspection.</summary>
internal sealed class MemoryJob(string name, int width, int height, ulong key = 1) : IRestoreJob
{
    public string Name { get; } = name;
    public string Source => "test";
    public ulong NoiseKey { get; } = key;
    public Exception? LoadError { get; init; }
    public JobSettings Settings { get; init; } = JobSettings.Default;
    public RestoredImage? Output { get; private set; }
    public int Width { get; } = width;
    public int Height { get; } = height;

    public float[] Pixels()
    {
        var p = new float[3 * Width * Height];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < Height; y++)
                for (int x = 0; x < Width; x++)
                    p[(c * Height + y) * Width + x] = (float)Math.Sin(0.3 * x + 0.17 * y + c + NoiseKey);
        return p;
    }

    public ValueTask<LqImage> LoadAsync(CancellationToken ct) =>
        LoadError is not null ? ValueTask.FromException<LqImage>(LoadError) : ValueTask.FromResult(new LqImage(Width, Height, Pixels()));

    public ValueTask WriteAsync(RestoredImage output, JobReport report, CancellationToken ct)
    {
        Output = output;
        return ValueTask.CompletedTask;
    }
}
