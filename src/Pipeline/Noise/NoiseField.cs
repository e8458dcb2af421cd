namespace ResShift.Pipeline.Noise;

/// <summary>
/// Standard-normal noise as a pure function of (seed, job key, step, channel, global y, global x).
/// A latent pixel receives the same value whichever tile, batch or thread computes it, so results do not
/// depend on batch composition or processing order, and overlapping tiles agree on their shared noise.
/// One Philox call yields four normals (two Box-Muller pairs) for four horizontally adjacent pixels:
/// counter = (x / 4, y, channel, step), lane = x mod 4. The GPU kernel implements exactly this mapping.
/// </summary>
public sealed class NoiseField : INoiseSource
{
    private const double TwoPow32 = 4294967296.0;

    public ulong Seed { get; }

    public NoiseField(ulong seed) => Seed = seed;

    /// <summary>The 64-bit Philox key for one job: SplitMix64 mixing so nearby seeds and job keys decorrelate.</summary>
    public static (uint K0, uint K1) DeriveKey(ulong seed, ulong jobKey)
    {
        ulong k = SplitMix64(seed ^ SplitMix64(jobKey + 0x9E3779B97F4A7C15UL));
        return ((uint)k, (uint)(k >> 32));
    }

    /// <summary>One job's key from a user seed and the job's content key: a different seed gives different noise.</summary>
    public static ulong DeriveJobKey(ulong seed, ulong contentKey) => SplitMix64(contentKey ^ SplitMix64(seed ^ 0xD1B54A32D192ED03UL));

    public void Fill(in NoiseRequest request, Span<float> destination)
    {
        if (request.Channels <= 0 || request.Height <= 0 || request.Width <= 0 || request.OriginY < 0 || request.OriginX < 0 || request.Step < 0)
            throw new ArgumentOutOfRangeException(nameof(request), request, "noise block dimensions must be positive and origins non-negative");
        if (destination.Length < request.Length)
            throw new ArgumentException($"destination holds {destination.Length} values, {request.Length} needed", nameof(destination));

        var (k0, k1) = DeriveKey(Seed, request.JobKey);
        int w = request.Width;
        for (int c = 0; c < request.Channels; c++)
        {
            for (int y = 0; y < request.Height; y++)
            {
                Span<float> row = destination.Slice((c * request.Height + y) * w, w);
                FillRow(row, k0, k1, (uint)request.Step, (uint)c, (uint)(request.OriginY + y), request.OriginX);
            }
        }
    }

    /// <summary>The single value at one position: the definition the bulk path and the GPU kernel must match.</summary>
    public static float ValueAt(ulong seed, ulong jobKey, int step, int channel, int y, int x)
    {
        var (k0, k1) = DeriveKey(seed, jobKey);
        var (a, b, c, d) = Philox4x32.Generate((uint)x >> 2, (uint)y, (uint)channel, (uint)step, k0, k1);
        return (x & 3) switch
        {
            0 => BoxMuller(a, b).Z0,
            1 => BoxMuller(a, b).Z1,
            2 => BoxMuller(c, d).Z0,
            _ => BoxMuller(c, d).Z1,
        };
    }

    private static void FillRow(Span<float> row, uint k0, uint k1, uint step, uint channel, uint y, int originX)
    {
        int x = originX;
        int i = 0;
        Span<float> four = stackalloc float[4];
        while (i < row.Length)
        {
            uint group = (uint)x >> 2;
            var (a, b, c, d) = Philox4x32.Generate(group, y, channel, step, k0, k1);
            var p = BoxMuller(a, b);
            var q = BoxMuller(c, d);
            four[0] = p.Z0;
            four[1] = p.Z1;
            four[2] = q.Z0;
            four[3] = q.Z1;
            for (int lane = x & 3; lane < 4 && i < row.Length; lane++, i++, x++)
                row[i] = four[lane];
        }
    }

    private static (float Z0, float Z1) BoxMuller(uint a, uint b)
    {
        // u in (0, 1]: never 0, so the log is finite; the largest |z| is sqrt(2·32·ln 2) ≈ 6.66.
        double u = (a + 1.0) / TwoPow32;
        double r = Math.Sqrt(-2.0 * PortableMath.Log(u));
        var (sin, cos) = PortableMath.SinCosTurns(b);
        return ((float)(r * cos), (float)(r * sin));
    }

    private static ulong SplitMix64(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
