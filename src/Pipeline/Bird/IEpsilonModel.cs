namespace ResShift.Pipeline.Bird;

/// <summary>ε = UNet(x, t) for one image (planar CHW float32). Implemented by the shared <see cref="UNetBatcher"/>.</summary>
public interface IEpsilonModel
{
    ValueTask PredictAsync(ReadOnlyMemory<float> x, long t, Memory<float> eps, CancellationToken cancellationToken);
}

