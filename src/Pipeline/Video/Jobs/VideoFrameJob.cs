using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>
/// One frame of a video as a pipeline job: its tiles batch with every other job's. Its pixels are already
/// decoded (the video's decoder reads frames in order); the restored frame goes to the video's
/// <see cref="FrameSequencer"/>, which feeds the encoder in frame order.
/// </summary>
internal sealed class VideoFrameJob(string name, string source, long index, float[] lq, int width, int height, ulong noiseKey,
    JobSettings settings, IVideoFrameSink sink) : IRestoreJob
{
    private float[]? _lq = lq;

    public string Name { get; } = name;
    public string Source { get; } = source;
    public long Index { get; } = index;
    public ulong NoiseKey { get; } = noiseKey;
    public JobSettings Settings { get; } = settings;

    public ValueTask<ImageSize?> ProbeAsync(CancellationToken cancellationToken) => ValueTask.FromResult<ImageSize?>(new ImageSize(width, height));

    public ValueTask<LqImage> LoadAsync(CancellationToken cancellationToken)
    {
        float[] pixels = Interlocked.Exchange(ref _lq, null) ?? throw new InvalidOperationException($"{Name} was loaded twice");
        return ValueTask.FromResult(new LqImage(width, height, pixels));
    }

    public void OnPlanned(int tiles) => sink.Planned(tiles);
    public void OnTileDone() => sink.TileDone();

    public ValueTask WriteAsync(RestoredImage output, JobReport report, CancellationToken cancellationToken) =>
        sink.PutAsync(Index, output, cancellationToken);
}

/// <summary>Where a video's restored frames go (the sequencer) and its progress hooks.</summary>
internal interface IVideoFrameSink
{
    void Planned(int tiles);
    void TileDone();
    ValueTask PutAsync(long index, RestoredImage frame, CancellationToken cancellationToken);
}
