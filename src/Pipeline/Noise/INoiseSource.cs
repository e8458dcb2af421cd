namespace ResShift.Pipeline.Noise;

/// <summary>Where the sampler's Gaussian noise comes from (the counter-based field, or fixed tensors in tests).</summary>
public interface INoiseSource
{
    /// <summary>Writes <c>request.Length</c> standard-normal values, CHW, into <paramref name="destination"/>.</summary>
    void Fill(in NoiseRequest request, Span<float> destination);
}
