namespace ResShift.Pipeline.Noise;

/// <summary>
/// A block of latent noise: <paramref name="Channels"/>×<paramref name="Height"/>×<paramref name="Width"/>
/// values for diffusion step <paramref name="Step"/>, starting at global latent position
/// (<paramref name="OriginY"/>, <paramref name="OriginX"/>) of the job identified by <paramref name="JobKey"/>.
/// Step T is the prior draw eps_T; steps T-1..1 are the per-step draws.
/// </summary>
public readonly record struct NoiseRequest(ulong JobKey, int Step, int Channels, int OriginY, int OriginX, int Height, int Width)
{
    public int Length => Channels * Height * Width;
}
