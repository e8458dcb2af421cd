namespace ResShift.Pipeline.Diffusion;

/// <summary>Which job a tile belongs to and where its latent sits in that job's global latent grid.</summary>
public readonly record struct TileNoiseOrigin(ulong JobKey, int LatentY, int LatentX);
