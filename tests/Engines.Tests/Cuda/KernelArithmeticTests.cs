using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ResShift.Engines.Cuda.Kernels;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Resampling;

namespace ResShift.Engines.Tests.Cuda;

/// <summary>
/// The CUDA kernel source, compiled as C++ (<see cref="HostKernelHarness"/>), against the C# CPU code it mirrors:
/// every comparison is bit-for-bit. g++ is part of the build machine, so these always run.
/// </summary>
public class KernelArithmeticTests(HostKernelHarness harness) : IClassFixture<HostKernelHarness>
{
    private static byte[] Bytes<T>(params T[][] parts) where T : unmanaged =>
        parts.SelectMany(p => MemoryMarshal.AsBytes(p.AsSpan()).ToArray()).ToArray();

    private static T[] Values<T>(byte[] b) where T : unmanaged => MemoryMarshal.Cast<byte, T>(b).ToArray();

    private static void AssertBitsEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} differs: CPU {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8}), kernel {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8})");
    }

    [Theory]
    [InlineData(0UL, 0UL, 4, 0, 0)]
    [InlineData(12345UL, 0xDEADBEEFCAFEUL, 3, 17, 33)]
    [InlineData(ulong.MaxValue, 42UL, 1, 1000, 3)]
    public void Noise_is_bit_identical_to_NoiseField(ulong seed, ulong jobKey, int step, int originY, int originX)
    {
        const int c = 3, h = 24, w = 37;
        var (k0, k1) = NoiseField.DeriveKey(seed, jobKey);
        var expected = new float[c * h * w];
        new NoiseField(seed).Fill(new NoiseRequest(jobKey, step, c, originY, originX, h, w), expected);
        var actual = Values<float>(harness.Kernel("noise", [0], k0, k1, step, c, h, w, originY, originX));
        AssertBitsEqual(expected, actual, "noise");
    }

    [Fact]
    public void Log_and_sincos_are_bit_identical_to_PortableMath()
    {
        var rng = new Random(7);
        int n = 20000;
        var u = new double[n];
        var b = new uint[n];
        for (int i = 0; i < n; i++)
        {
            u[i] = ((uint)rng.NextInt64(0, 1L << 32) + 1.0) / 4294967296.0;
            b[i] = (uint)rng.NextInt64(0, 1L << 32);
        }
        u[0] = 1.0 / 4294967296.0; u[1] = 1.0; b[0] = 0; b[1] = uint.MaxValue; b[2] = 0x40000000; b[3] = 0x20000000;
        var r = Values<double>(harness.Kernel("math", Bytes(u).Concat(Bytes(b)).ToArray(), n));
        for (int i = 0; i < n; i++)
        {
            var (sin, cos) = PortableMath.SinCosTurns(b[i]);
            Assert.Equal(BitConverter.DoubleToInt64Bits(PortableMath.Log(u[i])), BitConverter.DoubleToInt64Bits(r[3 * i]));
            Assert.Equal(BitConverter.DoubleToInt64Bits(sin), BitConverter.DoubleToInt64Bits(r[3 * i + 1]));
            Assert.Equal(BitConverter.DoubleToInt64Bits(cos), BitConverter.DoubleToInt64Bits(r[3 * i + 2]));
        }
    }

    [Theory]
    [InlineData(4, 16, 16)]
    [InlineData(4, 5, 9)]
    [InlineData(2, 1, 3)]
    public void Bicubic_is_bit_identical_to_BicubicUpsampler(int scale, int h, int w)
    {
        const int planes = 6; // two tiles of three channels
        var rng = new Random(scale * 100 + h);
        var src = Enumerable.Range(0, planes * h * w).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var expected = new float[planes * h * w * scale * scale];
        new BicubicUpsampler(scale).Upsample(src, planes, h, w, expected);
        var actual = Values<float>(harness.Kernel("bicubic", Bytes(src), planes, h, w, scale));
        AssertBitsEqual(expected, actual, "bicubic");
    }

    [Theory]
    [InlineData(true, 0.75f, 0.21f, 3, 0.35f, 1.3f)]
    [InlineData(true, 0f, 1f, 0, 0f, 0f)]        // t = 0: x becomes x0 exactly, no noise, no scaled output
    [InlineData(false, 1f, 0f, 4, 2.1f, 2.6f)]   // the prior draw: x = z_y + s·prior_std·ε_T
    public void Sampler_update_is_bit_identical_to_DiffusionSampler(bool hasX0, float c1, float c2, int step, float sigma, float nextStd)
    {
        const int batch = 3, channels = 3, side = 16, seed = 99;
        int per = channels * side * side;
        var rng = new Random(step);
        var x = Enumerable.Range(0, batch * per).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var x0 = Enumerable.Range(0, batch * per).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        ulong[] jobs = [11, 12, 11];
        float[] noiseScale = [1f, 0.5f, 0f];
        var tiles = new TileNoise[batch];
        for (int i = 0; i < batch; i++)
        {
            var (k0, k1) = NoiseField.DeriveKey(seed, jobs[i]);
            tiles[i] = new TileNoise(k0, k1, 8 * i, 16 + 4 * i, noiseScale[i]);
        }
        Assert.Equal(32, Marshal.SizeOf<TileNoise>());
        var result = Values<float>(harness.Kernel("update", Bytes(x, x0).Concat(Bytes(tiles)).ToArray(),
            batch, channels, side, c1, c2, step, sigma, hasX0 ? 1 : 0, nextStd));

        // The CPU reference: DiffusionSampler.Update, then AddNoise, then the next step's Divide.
        var expected = (float[])x.Clone();
        if (hasX0)
        {
            TensorPrimitives.Multiply(expected, c1, expected);
            TensorPrimitives.MultiplyAdd(x0, c2, expected, expected);
        }
        var field = new NoiseField(seed);
        var eps = new float[per];
        for (int i = 0; i < batch; i++)
        {
            float scale = sigma * noiseScale[i];
            if (scale == 0f) continue;
            field.Fill(new NoiseRequest(jobs[i], step, channels, tiles[i].LatentY, tiles[i].LatentX, side, side), eps);
            Span<float> xi = expected.AsSpan(i * per, per);
            TensorPrimitives.MultiplyAdd(eps, scale, xi, xi);
        }
        AssertBitsEqual(expected, result[..(batch * per)], "x");
        if (nextStd > 0)
        {
            var scaled = new float[batch * per];
            TensorPrimitives.Divide(expected, nextStd, scaled);
            AssertBitsEqual(scaled, result[(batch * per)..], "x / input_std");
        }
    }

    [Theory]
    [InlineData(8, 3, false)]
    [InlineData(16, 4, false)]
    [InlineData(8, 1, true)]
    [InlineData(16, 3, true)]
    public void Image_to_tile_matches_decode_scale_and_reflect_padding(int bits, int bands, bool half)
    {
        const int imageW = 23, imageH = 19, tileX = 5, tileY = 7, tileW = 13, tileH = 12, padded = 16;
        var rng = new Random(bits + bands);
        int max = bits == 16 ? 65535 : 255;
        var samples = Enumerable.Range(0, imageW * imageH * bands).Select(_ => rng.Next(max + 1)).ToArray();
        samples[0] = 0; samples[1] = max;
        byte[] input = bits == 16 ? Bytes(samples.Select(s => (ushort)s).ToArray()) : samples.Select(s => (byte)s).ToArray();
        byte[] output = harness.Kernel("tonchw", input, bits, imageW, bands, tileX, tileY, tileW, tileH, padded, half ? 1 : 0);

        // CPU: SampleConverter.ToPlanar (s * (1/max)), FileRestoreJob (*2, -1), ReflectPad on the tile.
        float inverse = bits == 16 ? 1f / 65535f : 1f / 255f;
        var expected = new float[3 * padded * padded];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < padded; y++)
                for (int x = 0; x < padded; x++)
                {
                    int sy = tileY + ReflectPad.SourceIndex(y, tileH), sx = tileX + ReflectPad.SourceIndex(x, tileW);
                    float v = samples[(sy * imageW + sx) * bands + (bands <= 2 ? 0 : c)] * inverse;
                    v *= 2f;
                    v -= 1f;
                    expected[(c * padded + y) * padded + x] = v;
                }
        if (half)
        {
            var bitsOut = Values<ushort>(output);
            for (int i = 0; i < expected.Length; i++)
                Assert.Equal(BitConverter.HalfToUInt16Bits((Half)expected[i]), bitsOut[i]);
        }
        else
            AssertBitsEqual(expected, Values<float>(output), "tile");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void Tile_to_image_clamps_scales_and_rounds_half_to_even(int bits)
    {
        const int h = 8, w = 12, cropW = 10, cropH = 7;
        var rng = new Random(bits);
        var img = Enumerable.Range(0, 3 * h * w).Select(_ => (float)(rng.NextDouble() * 2.4 - 1.2)).ToArray();
        img[0] = float.NaN; img[1] = -1f; img[2] = 1f; img[3] = 1f / 255f * 2f - 1f + 1e-7f;
        img[4] = 2f * (0.5f / 255f) - 1f; // a half-way case for round-half-even
        byte[] output = harness.Kernel("tohwc", Bytes(img), h, w, cropW, cropH, bits);
        float max = bits == 16 ? 65535f : 255f;
        var expected = new int[3 * cropW * cropH];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < cropH; y++)
                for (int x = 0; x < cropW; x++)
                {
                    // RestorePipeline.WriteJobAsync then SampleConverter.Quantise.
                    float v = img[(c * h + y) * w + x];
                    v = MathF.Max(v, -1f); v = MathF.Min(v, 1f); v *= 0.5f; v += 0.5f;
                    int q = !(v > 0f) ? 0 : v >= 1f ? (int)max : (int)MathF.Round(v * max, MidpointRounding.ToEven);
                    expected[(y * cropW + x) * 3 + c] = q;
                }
        int[] actual = bits == 8 ? output.Select(b => (int)b).ToArray() : Values<ushort>(output).Select(s => (int)s).ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Multiply_add_on_the_cpu_is_not_fused()
    {
        // The kernels mirror TensorPrimitives.MultiplyAdd as a*b + c with two roundings; if a .NET update fused
        // it, the CPU path would change and this test says so first. 1+2^-12 squared needs 2^-24 that fp32 drops.
        float a = 1f + MathF.Pow(2, -12), c = -(1f + MathF.Pow(2, -11));
        var r = new float[1];
        TensorPrimitives.MultiplyAdd([a], a, [c], r);
        Assert.Equal(a * a + c, r[0]);
        Assert.NotEqual(MathF.FusedMultiplyAdd(a, a, c), r[0]);
    }
}
