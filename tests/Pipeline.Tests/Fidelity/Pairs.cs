namespace ResShift.Pipeline.Tests.Fidelity;

/// <summary>Hand-made input/output pairs, planar RGB in [0, 1].</summary>
internal static class Pairs
{
    /// <summary>A warm textured picture: smooth gradients and edges plus per-channel fine detail (seeded), more red than blue.</summary>
    public static float[] Picture(int width, int height, int seed = 1)
    {
        var rng = new Random(seed);
        var p = new float[3 * width * height];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    double v = 0.5 + 0.15 * (1 - c) + 0.25 * Math.Sin(0.21 * x * (c + 1) + 0.13 * y) + ((x / 7 + y / 5) % 2 == 0 ? 0.1 : -0.1) + 0.12 * (rng.NextDouble() - 0.5);
                    p[(c * height + y) * width + x] = (float)Math.Clamp(v, 0, 1);
                }
        return p;
    }

    public static float[] NearestUpscale(float[] src, int width, int height, int s)
    {
        int ow = width * s, oh = height * s;
        var o = new float[3 * ow * oh];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                    o[(c * oh + y) * ow + x] = src[(c * height + y / s) * width + x / s];
        return o;
    }

    /// <summary>The picture moved right and down by <paramref name="dx"/>, <paramref name="dy"/> pixels (edges repeated).</summary>
    public static float[] Shift(float[] src, int width, int height, int dx, int dy)
    {
        var o = new float[src.Length];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    o[(c * height + y) * width + x] = src[(c * height + Math.Clamp(y - dy, 0, height - 1)) * width + Math.Clamp(x - dx, 0, width - 1)];
        return o;
    }

    /// <summary>Red and blue planes exchanged.</summary>
    public static float[] SwapRedBlue(float[] src, int width, int height)
    {
        int n = width * height;
        var o = (float[])src.Clone();
        src.AsSpan(0, n).CopyTo(o.AsSpan(2 * n));
        src.AsSpan(2 * n, n).CopyTo(o.AsSpan(0));
        return o;
    }

    public static float[] Noise(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var o = new float[3 * width * height];
        for (int i = 0; i < o.Length; i++) o[i] = (float)rng.NextDouble();
        return o;
    }

    /// <summary>[0, 1] → the model's [-1, 1].</summary>
    public static float[] ToSigned(float[] unit) => unit.Select(v => 2 * v - 1).ToArray();
}
