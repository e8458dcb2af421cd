using System.Runtime.InteropServices;

namespace ResShift.Engines.Cuda.Kernels;

/// <summary>Per-tile noise parameters for <see cref="ResShiftKernels.SamplerUpdate"/>; layout = rs_tile_noise (32 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
public readonly record struct TileNoise(uint K0, uint K1, int LatentY, int LatentX, float NoiseScale);

/// <summary>
/// Our kernels compiled (NVRTC) and loaded for one context, with typed launchers. Arguments are device pointers
/// (<see cref="DeviceBuffer.Pointer"/>, plus byte offsets where a batch element is addressed).
/// </summary>
public sealed unsafe class ResShiftKernels : IDisposable
{
    private const uint Block1D = 256;
    private const uint Block2D = 16;
    private readonly CudaModule _module;

    public ResShiftKernels(CudaContext context)
    {
        Image = NvrtcCompiler.CompileKernels(context.Device.ComputeMajor, context.Device.ComputeMinor);
        _module = new CudaModule(context, Image.Image, KernelSource.Entries);
    }

    /// <summary>The cubin (or PTX fallback) the module was loaded from.</summary>
    public KernelImage Image { get; }

    private static (uint, uint, uint) Grid2D(int w, int h, int z = 1) =>
        ((uint)((w + Block2D - 1) / Block2D), (uint)((h + Block2D - 1) / Block2D), (uint)z);

    /// <summary>(a) One padded LQ tile from interleaved 8/16-bit samples; fp16 output when <paramref name="half"/>.</summary>
    public void ImageToTile(CudaStream stream, ulong samples, int bitDepth, int imageWidth, int imageHeight, int bands,
        int tileX, int tileY, int tileW, int tileH, int padded, ulong destination, bool half = false)
    {
        if (bitDepth is not (8 or 16)) throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "8 or 16");
        if (bands is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(bands), bands, "1..4");
        if (tileW < 1 || tileH < 1 || tileX < 0 || tileY < 0 || tileX + tileW > imageWidth || tileY + tileH > imageHeight)
            throw new ArgumentOutOfRangeException(nameof(tileW), $"tile {tileW}x{tileH} at ({tileX},{tileY}) is outside the {imageWidth}x{imageHeight} image");
        if (padded < tileW || padded < tileH) throw new ArgumentOutOfRangeException(nameof(padded), padded, "smaller than the tile");
        float inverseMax = bitDepth == 16 ? 1f / 65535f : 1f / 255f;
        string name = (bitDepth, half) switch
        {
            (8, false) => "rs_hwc_u8_to_nchw_f32",
            (16, false) => "rs_hwc_u16_to_nchw_f32",
            (8, true) => "rs_hwc_u8_to_nchw_f16",
            _ => "rs_hwc_u16_to_nchw_f16",
        };
        void** a = stackalloc void*[10];
        a[0] = &samples; a[1] = &imageWidth; a[2] = &bands; a[3] = &inverseMax; a[4] = &tileX;
        a[5] = &tileY; a[6] = &tileW; a[7] = &tileH; a[8] = &padded; a[9] = &destination;
        _module.Launch(name, Grid2D(padded, padded), (Block2D, Block2D, 1), stream, a);
    }

    /// <summary>(b) Bicubic ×<paramref name="scale"/> of <paramref name="planes"/> planes of h×w (batch·channels).</summary>
    public void Bicubic(CudaStream stream, ulong source, int planes, int height, int width, int scale, ulong destination)
    {
        if (planes < 1 || height < 1 || width < 1 || scale < 1) throw new ArgumentOutOfRangeException(nameof(planes), "planes, height, width and scale must be >= 1");
        void** a = stackalloc void*[5];
        a[0] = &source; a[1] = &height; a[2] = &width; a[3] = &scale; a[4] = &destination;
        _module.Launch("rs_bicubic_up", Grid2D(width * scale, height * scale, planes), (Block2D, Block2D, 1), stream, a);
    }

    /// <summary>
    /// (c) x = c1·x + c2·x0 (skipped when <paramref name="x0"/> is 0) + σ·s_tile·ε(step); then, when
    /// <paramref name="scaled"/> is not 0, scaled = x / nextInputStd. <paramref name="tiles"/> points to
    /// <paramref name="batch"/> <see cref="TileNoise"/> records in device memory.
    /// </summary>
    public void SamplerUpdate(CudaStream stream, ulong x, ulong x0, float c1, float c2, ulong tiles, int batch, int step,
        float sigma, int channels, int side, ulong scaled = 0, float nextInputStd = 1f)
    {
        if (batch < 1 || channels < 1 || side < 1 || step < 0) throw new ArgumentOutOfRangeException(nameof(batch), "batch, channels, side must be >= 1 and step >= 0");
        if (scaled != 0 && !(nextInputStd > 0f)) throw new ArgumentOutOfRangeException(nameof(nextInputStd), nextInputStd, "must be > 0");
        int per = channels * side * side;
        void** a = stackalloc void*[11];
        a[0] = &x; a[1] = &x0; a[2] = &c1; a[3] = &c2; a[4] = &tiles; a[5] = &step; a[6] = &sigma;
        a[7] = &channels; a[8] = &side; a[9] = &scaled; a[10] = &nextInputStd;
        _module.Launch("rs_sampler_update", ((uint)((per + Block1D - 1) / Block1D), (uint)batch, 1), (Block1D, 1, 1), stream, a);
    }

    /// <summary>out = x / divisor over <paramref name="count"/> floats.</summary>
    public void Scale(CudaStream stream, ulong x, float divisor, long count, ulong output)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        void** a = stackalloc void*[4];
        a[0] = &x; a[1] = &divisor; a[2] = &count; a[3] = &output;
        _module.Launch("rs_scale", ((uint)((count + Block1D - 1) / Block1D), 1, 1), (Block1D, 1, 1), stream, a);
    }

    /// <summary>(d) One 3×h×w image in [-1,1] → interleaved RGB 8/16-bit of the top-left crop.</summary>
    public void TileToImage(CudaStream stream, ulong image, int height, int width, int cropWidth, int cropHeight, int bitDepth, ulong destination)
    {
        if (bitDepth is not (8 or 16)) throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "8 or 16");
        if (cropWidth < 1 || cropHeight < 1 || cropWidth > width || cropHeight > height)
            throw new ArgumentOutOfRangeException(nameof(cropWidth), $"crop {cropWidth}x{cropHeight} of a {width}x{height} image");
        void** a = stackalloc void*[6];
        a[0] = &image; a[1] = &height; a[2] = &width; a[3] = &cropWidth; a[4] = &cropHeight; a[5] = &destination;
        _module.Launch(bitDepth == 8 ? "rs_nchw_to_hwc_u8" : "rs_nchw_to_hwc_u16", Grid2D(cropWidth, cropHeight), (Block2D, Block2D, 1), stream, a);
    }

    public void Dispose() => _module.Dispose();
}
