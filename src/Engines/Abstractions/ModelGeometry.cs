namespace ResShift.Engines.Abstractions;

/// <summary>
/// Tensor shapes one engine set was built for. LQ tiles are square; the image side is
/// <c>LqTile * Scale</c> and the latent side is <c>LqTile * Scale / LatentFactor</c>.
/// <paramref name="MaskChannels"/> is 1 for an inpainting model: each LQ tile then carries the mask as one more
/// plane after the image's (in [-1, 1], 1 = unknown area), and the denoiser takes it as its "mask" input.
/// </summary>
public sealed record ModelGeometry(int LqTile, int Scale, int LatentFactor, int LatentChannels, int ImageChannels = 3, int MaskChannels = 0)
{
    /// <summary>Planes in one LQ tile: the image's, then the mask's.</summary>
    public int LqChannels => ImageChannels + MaskChannels;

    /// <summary>Floats of the image part of one LQ tile (C×h×w); the mask plane, if any, follows it.</summary>
    public int LqImageElements => ImageChannels * LqTile * LqTile;

    public int ImageTile => LqTile * Scale;
    public int LatentTile => ImageTile / LatentFactor;

    /// <summary>Floats in one LQ tile (image and mask planes, (C+M)×h×w).</summary>
    public int LqElements => LqChannels * LqTile * LqTile;

    /// <summary>Floats in one full-resolution image tile (C×H×W).</summary>
    public int ImageElements => ImageChannels * ImageTile * ImageTile;

    /// <summary>Floats in one latent tile.</summary>
    public int LatentElements => LatentChannels * LatentTile * LatentTile;

    public void Validate()
    {
        if (MaskChannels is not (0 or 1))
            throw new ArgumentException($"Mask channels must be 0 or 1, got {MaskChannels}.");
        if (LqTile <= 0 || Scale <= 0 || LatentFactor <= 0 || LatentChannels <= 0 || ImageChannels <= 0)
            throw new ArgumentException($"Geometry values must be positive: tile {LqTile}, scale {Scale}, latent factor {LatentFactor}, latent channels {LatentChannels}, image channels {ImageChannels}.");
        if (ImageTile % LatentFactor != 0)
            throw new ArgumentException($"Image tile {ImageTile} is not a multiple of the latent factor {LatentFactor}.");
    }
}
