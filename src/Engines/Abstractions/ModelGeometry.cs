namespace ResShift.Engines.Abstractions;

/// <summary>
/// Tensor shapes one engine set was built for. LQ tiles are square; the image side is
/// <c>LqTile * Scale</c> and the latent side is <c>LqTile * Scale / LatentFactor</c>.
/// </summary>
public sealed record ModelGeometry(int LqTile, int Scale, int LatentFactor, int LatentChannels, int ImageChannels = 3)
{
    public int ImageTile => LqTile * Scale;
    public int LatentTile => ImageTile / LatentFactor;

    /// <summary>Floats in one LQ tile (C×h×w).</summary>
    public int LqElements => ImageChannels * LqTile * LqTile;

    /// <summary>Floats in one full-resolution image tile (C×H×W).</summary>
    public int ImageElements => ImageChannels * ImageTile * ImageTile;

    /// <summary>Floats in one latent tile.</summary>
    public int LatentElements => LatentChannels * LatentTile * LatentTile;

    public void Validate()
    {
        if (LqTile <= 0 || Scale <= 0 || LatentFactor <= 0 || LatentChannels <= 0 || ImageChannels <= 0)
            throw new ArgumentException($"Geometry values must be positive: tile {LqTile}, scale {Scale}, latent factor {LatentFactor}, latent channels {LatentChannels}, image channels {ImageChannels}.");
        if (ImageTile % LatentFactor != 0)
            throw new ArgumentException($"Image tile {ImageTile} is not a multiple of the latent factor {LatentFactor}.");
    }
}
