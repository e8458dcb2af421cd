namespace ResShift.Pipeline.Bird;

/// <summary>ε = UNet(x, t) for one image (planar CHW float32). Implemented by the shared <see cref="UNetBatcher"/>.</summary>
public interface IEpsilonModel
{
    ValueTask PredictAsync(ReadOnlyMemory<float> x, long t, Memory<float> eps, CancellationToken cancellationToken);
}

/// <summary>A UNet engine that runs a whole batch: x [n, C, H, W], t [n] → ε [n, C, H, W].</summary>
public interface IUNetEngine : IDisposable
{
    /// <summary>Side of the square image the graph accepts.</summary>
    int Image { get; }
    int Channels { get; }
    void Run(ReadOnlyMemory<float> x, ReadOnlyMemory<long> t, Memory<float> eps, int batch, CancellationToken cancellationToken);
}
