using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Imaging;

namespace ResShift.Daemon.Tests.Bird;

/// <summary>Test inputs for BIRD: a square crop of the committed photo, resized (bilinear) to the model's size.</summary>
internal static class BirdInputs
{
    public static string PhotoCrop(string dir, int size, string name = "in.png")
    {
        using DecodedImage src = new ImageDecoder().Decode(Repo.Images("photo-aqua.png"));
        int side = Math.Min(src.Width, src.Height), x0 = (src.Width - side) / 2, y0 = (src.Height - side) / 2;
        using PlanarImage dst = PlanarImage.Allocate(size, size, withAlpha: false);
        for (int c = 0; c < 3; c++)
        {
            Span<float> s = src.Pixels.Plane(c), d = dst.Plane(c);
            for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                float fy = Math.Clamp((y + 0.5f) * side / size - 0.5f, 0, side - 1), fx = Math.Clamp((x + 0.5f) * side / size - 0.5f, 0, side - 1);
                int iy = Math.Min((int)fy, side - 2), ix = Math.Min((int)fx, side - 2);
                float wy = fy - iy, wx = fx - ix;
                float v00 = s[(y0 + iy) * src.Width + x0 + ix], v01 = s[(y0 + iy) * src.Width + x0 + ix + 1];
                float v10 = s[(y0 + iy + 1) * src.Width + x0 + ix], v11 = s[(y0 + iy + 1) * src.Width + x0 + ix + 1];
                d[y * size + x] = (1 - wy) * ((1 - wx) * v00 + wx * v01) + wy * ((1 - wx) * v10 + wx * v11);
            }
        }
        string path = Path.Combine(dir, name);
        new ImageEncoder().Encode(dst, new ImageMetadata(ChannelLayout.Rgb, 8, ImageFormat.Png), path);
        return path;
    }
}
