namespace ResShift.Pipeline.Diffusion;

/// <summary>
/// Which job a tile belongs to, where its latent sits in that job's global latent grid, and how much of
/// the sampling noise it takes (the job's noise scale, multiplied into prior_std and sigma).
/// </summary>
public readonly record struct TileNoiseOrigin(ulong JobKey, int LatentY, int LatentX, float NoiseScale = 1f);
