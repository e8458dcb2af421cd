namespace ResShift.Engines.Cuda.Kernels;

/// <summary>
/// resshift_kernels.cu: the pre/post-processing and sampler kernels, compiled by NVRTC at start-up with
/// --fmad=false (no a·b+c contraction), so every float expression rounds exactly as its C# counterpart:
/// the same operations in the same order. Each kernel names the CPU code it mirrors.
/// </summary>
internal static class KernelSource
{
    public const string ProgramName = "resshift_kernels.cu";

    /// <summary>Kernel entry points (extern "C", so the names are not mangled).</summary>
    public static readonly string[] Entries =
    [
        "rs_hwc_u8_to_nchw_f32", "rs_hwc_u16_to_nchw_f32", "rs_hwc_u8_to_nchw_f16", "rs_hwc_u16_to_nchw_f16",
        "rs_bicubic_up", "rs_sampler_update", "rs_scale", "rs_nchw_to_hwc_u8", "rs_nchw_to_hwc_u16",
    ];

    public const string Text = """
#include "rs_noise.cuh"

// PyTorch "reflect" (no edge repeat): Pipeline/Resampling/ReflectPad.SourceIndex.
__device__ __forceinline__ int rs_reflect(int i, int n)
{
    if (i < n && i >= 0) return i;
    if (n == 1) return 0;
    int period = 2 * (n - 1);
    int m = i % period;
    if (m < 0) m += period;
    return m < n ? m : period - m;
}

// Round to nearest even; the host branch only exists for the CPU emulation test (g++ _Float16 rounds the same way).
__device__ __forceinline__ unsigned short rs_f32_to_f16_bits(float v)
{
    unsigned short h;
#if defined(__CUDACC__)
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(v));
#else
    _Float16 f = (_Float16)v;
    memcpy(&h, &f, sizeof h);
#endif
    return h;
}

__device__ __forceinline__ void rs_store(float* p, float v) { *p = v; }
__device__ __forceinline__ void rs_store(unsigned short* p, float v) { *p = rs_f32_to_f16_bits(v); }

// (a) Interleaved 8/16-bit samples (1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA; alpha ignored) -> one padded
// 3 x padded x padded tile in [-1, 1]. Mirrors SampleConverter.ToPlanar (s * (1/max)), FileRestoreJob (*2, -1),
// TileExtractor + ReflectPad.PadBottomRight. Grid: x, y over the padded tile.
template <typename TIn, typename TOut>
__device__ void rs_hwc_to_nchw(const TIn* src, int imageW, int bands, float inverseMax,
    int tileX, int tileY, int tileW, int tileH, int padded, TOut* dst)
{
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= padded || y >= padded) return;
    int sx = tileX + rs_reflect(x, tileW), sy = tileY + rs_reflect(y, tileH);
    const TIn* px = src + ((long long)sy * imageW + sx) * bands;
    long long plane = (long long)padded * padded, o = (long long)y * padded + x;
    for (int c = 0; c < 3; c++) {
        float v = (float)px[bands <= 2 ? 0 : c] * inverseMax;
        v = v * 2.0f;
        v = v - 1.0f;
        rs_store(dst + c * plane + o, v);
    }
}

extern "C" __global__ void rs_hwc_u8_to_nchw_f32(const unsigned char* s, int w, int b, float im, int tx, int ty, int tw, int th, int p, float* d)
{ rs_hwc_to_nchw(s, w, b, im, tx, ty, tw, th, p, d); }
extern "C" __global__ void rs_hwc_u16_to_nchw_f32(const unsigned short* s, int w, int b, float im, int tx, int ty, int tw, int th, int p, float* d)
{ rs_hwc_to_nchw(s, w, b, im, tx, ty, tw, th, p, d); }
extern "C" __global__ void rs_hwc_u8_to_nchw_f16(const unsigned char* s, int w, int b, float im, int tx, int ty, int tw, int th, int p, unsigned short* d)
{ rs_hwc_to_nchw(s, w, b, im, tx, ty, tw, th, p, d); }
extern "C" __global__ void rs_hwc_u16_to_nchw_f16(const unsigned short* s, int w, int b, float im, int tx, int ty, int tw, int th, int p, unsigned short* d)
{ rs_hwc_to_nchw(s, w, b, im, tx, ty, tw, th, p, d); }

// (b) Bicubic x scale, PyTorch semantics: Pipeline/Resampling/BicubicUpsampler. Same weights (float formulas),
// same separable order: four horizontal sums (left to right), then rows combined as w0*r0, then + w1*r1, ...
__device__ __forceinline__ float rs_cubic_inner(float x) { return ((-0.75f + 2.0f) * x - (-0.75f + 3.0f)) * x * x + 1.0f; }
__device__ __forceinline__ float rs_cubic_outer(float x) { return ((-0.75f * x - 5.0f * -0.75f) * x + 8.0f * -0.75f) * x - 4.0f * -0.75f; }
__device__ __forceinline__ int rs_clampi(int i, int n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }
__device__ __forceinline__ int rs_floor_src(int o, int s)
{
    int num = 2 * o + 1 - s, den = 2 * s;
    return num >= 0 ? num / den : -((-num + den - 1) / den);
}
__device__ __forceinline__ void rs_weights(int phase, int s, float w[4])
{
    float inv = 1.0f / (float)s;
    float src = ((float)phase + 0.5f) * inv - 0.5f;
    float t = src - floorf(src);
    w[0] = rs_cubic_outer(t + 1.0f);
    w[1] = rs_cubic_inner(t);
    w[2] = rs_cubic_inner(1.0f - t);
    w[3] = rs_cubic_outer(2.0f - t);
}

// Grid: x, y over the output plane; z over batch*channels planes.
extern "C" __global__ void rs_bicubic_up(const float* src, int h, int w, int s, float* dst)
{
    int ox = blockIdx.x * blockDim.x + threadIdx.x;
    int oy = blockIdx.y * blockDim.y + threadIdx.y;
    int outW = w * s, outH = h * s;
    if (ox >= outW || oy >= outH) return;
    const float* plane = src + (long long)blockIdx.z * h * w;
    float wx[4], wy[4];
    rs_weights(ox % s, s, wx);
    rs_weights(oy % s, s, wy);
    int bx = rs_floor_src(ox, s), by = rs_floor_src(oy, s);
    float rows[4];
    for (int k = 0; k < 4; k++) {
        const float* row = plane + (long long)rs_clampi(by - 1 + k, h) * w;
        rows[k] = row[rs_clampi(bx - 1, w)] * wx[0]
                + row[rs_clampi(bx, w)] * wx[1]
                + row[rs_clampi(bx + 1, w)] * wx[2]
                + row[rs_clampi(bx + 2, w)] * wx[3];
    }
    float v = rows[0] * wy[0];
    v = rows[1] * wy[1] + v;
    v = rows[2] * wy[2] + v;
    v = rows[3] * wy[3] + v;
    dst[(long long)blockIdx.z * outH * outW + (long long)oy * outW + ox] = v;
}

// (c) One sampler step for a batch of latent tiles: Pipeline/Diffusion/DiffusionSampler.Update + AddNoise.
//   x = c1*x; x = x0*c2 + x          (skipped when x0 is null: the prior draw x = z_y + s*prior_std*eps_T)
//   x = eps*(sigma*tile.scale) + x   (skipped when that product is 0)
//   scaled = x / nextInputStd        (when scaled is not null: the next step's denoiser input, fused)
struct rs_tile_noise { rs_u32 k0, k1; int latentY, latentX; float noiseScale; int pad0, pad1, pad2; };

// Grid: x over C*side*side elements of one tile; y over tiles.
extern "C" __global__ void rs_sampler_update(float* x, const float* x0, float c1, float c2,
    const rs_tile_noise* tiles, int step, float sigma, int channels, int side, float* scaled, float nextInputStd)
{
    int per = channels * side * side;
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= per) return;
    long long at = (long long)blockIdx.y * per + i;
    float v = x[at];
    if (x0 != 0) {
        v = v * c1;
        v = x0[at] * c2 + v;
    }
    rs_tile_noise tile = tiles[blockIdx.y];
    float scale = sigma * tile.noiseScale;
    if (scale != 0.0f) {
        int c = i / (side * side), r = i % (side * side);
        float eps = rs_noise_at(tile.k0, tile.k1, step, c, tile.latentY + r / side, tile.latentX + r % side);
        v = eps * scale + v;
    }
    x[at] = v;
    if (scaled != 0) scaled[at] = v / nextInputStd;
}

// x / input_std[t] (DiffusionSampler: TensorPrimitives.Divide).
extern "C" __global__ void rs_scale(const float* x, float divisor, long long n, float* out)
{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = x[i] / divisor;
}

// (d) Final image: RestorePipeline (clamp to [-1, 1], *0.5, +0.5) and SampleConverter.Quantise (clamp to [0, 1],
// NaN -> 0, round half to even of v*max), written as interleaved RGB of the cropped size.
// Grid: x, y over the crop.
__device__ __forceinline__ int rs_quantise(float v, float max)
{
    if (!(v > 0.0f)) return 0;
    if (v >= 1.0f) return (int)max;
    return (int)rintf(v * max);
}
template <typename TOut>
__device__ void rs_to_hwc(const float* img, int h, int w, int cropW, int cropH, float max, TOut* out)
{
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= cropW || y >= cropH) return;
    for (int c = 0; c < 3; c++) {
        float v = img[(long long)c * h * w + (long long)y * w + x];
        v = fmaxf(v, -1.0f);
        v = fminf(v, 1.0f);
        v = v * 0.5f;
        v = v + 0.5f;
        out[((long long)y * cropW + x) * 3 + c] = (TOut)rs_quantise(v, max);
    }
}
extern "C" __global__ void rs_nchw_to_hwc_u8(const float* img, int h, int w, int cw, int ch, unsigned char* out)
{ rs_to_hwc(img, h, w, cw, ch, 255.0f, out); }
extern "C" __global__ void rs_nchw_to_hwc_u16(const float* img, int h, int w, int cw, int ch, unsigned short* out)
{ rs_to_hwc(img, h, w, cw, ch, 65535.0f, out); }
""";
}
