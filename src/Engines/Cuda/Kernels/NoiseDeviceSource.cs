namespace ResShift.Engines.Cuda.Kernels;

/// <summary>
/// rs_noise.cuh: Philox4x32-10 + Box-Muller, a line-for-line port of Pipeline/Noise (Philox4x32, PortableMath,
/// NoiseField.BoxMuller). The same text compiles as CUDA (NVRTC, --fmad=false) and as plain C++ (g++
/// -ffp-contract=off) in the bit-identity test, so the CPU test proves the arithmetic the kernel runs.
/// Only IEEE +, -, *, / and sqrt in double, in the C# operation order: never reorder or "simplify" an expression.
/// </summary>
internal static class NoiseDeviceSource
{
    public const string HeaderName = "rs_noise.cuh";

    public const string Text = """
// rs_noise.cuh - ResShift Pipeline noise field. Keep bit-identical to src/Pipeline/Noise/*.cs.
#ifndef RS_NOISE_CUH
#define RS_NOISE_CUH

#if defined(__CUDACC__)
#define RS_FN __device__ __forceinline__
#define RS_SQRT(v) sqrt(v)
RS_FN long long rs_bits_of(double d) { return __double_as_longlong(d); }
RS_FN double rs_double_of(long long b) { return __longlong_as_double(b); }
#else
#include <math.h>
#include <string.h>
#define RS_FN static inline
#define RS_SQRT(v) sqrt(v)
RS_FN long long rs_bits_of(double d) { long long b; memcpy(&b, &d, sizeof b); return b; }
RS_FN double rs_double_of(long long b) { double d; memcpy(&d, &b, sizeof d); return d; }
#endif

typedef unsigned int rs_u32;
typedef unsigned long long rs_u64;

// Philox4x32-10: counter c[0..3] in, four 32-bit outputs out.
RS_FN void rs_philox(rs_u32 c[4], rs_u32 k0, rs_u32 k1)
{
    for (int round = 0; round < 10; round++) {
        if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        rs_u64 p0 = (rs_u64)0xD2511F53u * c[0];
        rs_u64 p1 = (rs_u64)0xCD9E8D57u * c[2];
        rs_u32 hi0 = (rs_u32)(p0 >> 32), lo0 = (rs_u32)p0;
        rs_u32 hi1 = (rs_u32)(p1 >> 32), lo1 = (rs_u32)p1;
        rs_u32 n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0; c[1] = lo1; c[2] = n2; c[3] = lo0;
    }
}

// PortableMath.Log
RS_FN double rs_log(double v)
{
    long long bits = rs_bits_of(v);
    int exponent = (int)((bits >> 52) & 0x7FF) - 1023;
    double m = rs_double_of((bits & 0x000FFFFFFFFFFFFFLL) | 0x3FF0000000000000LL);
    if (m > 1.41421356237309504880) { m *= 0.5; exponent++; }
    double f = (m - 1.0) / (m + 1.0);
    double f2 = f * f;
    double s = 1.0 / 21.0;
    s = s * f2 + 1.0 / 19.0;
    s = s * f2 + 1.0 / 17.0;
    s = s * f2 + 1.0 / 15.0;
    s = s * f2 + 1.0 / 13.0;
    s = s * f2 + 1.0 / 11.0;
    s = s * f2 + 1.0 / 9.0;
    s = s * f2 + 1.0 / 7.0;
    s = s * f2 + 1.0 / 5.0;
    s = s * f2 + 1.0 / 3.0;
    s = s * f2 + 1.0;
    return (double)exponent * 0.69314718055994530942 + 2.0 * f * s;
}

// PortableMath.SinCosTurns: sin and cos of 2*pi*b/2^32.
RS_FN void rs_sincos_turns(rs_u32 b, double* sin_out, double* cos_out)
{
    rs_u32 quadrant = b >> 30;
    double frac = (double)(b & 0x3FFFFFFFu) * (1.0 / 1073741824.0);
    if (frac >= 0.5) { frac -= 1.0; quadrant = (quadrant + 1) & 3; }
    double x = frac * 1.57079632679489661923;
    double x2 = x * x;
    double sn = 1.0 / 355687428096000.0;
    sn = sn * x2 - 1.0 / 1307674368000.0;
    sn = sn * x2 + 1.0 / 6227020800.0;
    sn = sn * x2 - 1.0 / 39916800.0;
    sn = sn * x2 + 1.0 / 362880.0;
    sn = sn * x2 - 1.0 / 5040.0;
    sn = sn * x2 + 1.0 / 120.0;
    sn = sn * x2 - 1.0 / 6.0;
    sn = sn * x2 + 1.0;
    sn *= x;
    double cs = 1.0 / 20922789888000.0;
    cs = cs * x2 - 1.0 / 87178291200.0;
    cs = cs * x2 + 1.0 / 479001600.0;
    cs = cs * x2 - 1.0 / 3628800.0;
    cs = cs * x2 + 1.0 / 40320.0;
    cs = cs * x2 - 1.0 / 720.0;
    cs = cs * x2 + 1.0 / 24.0;
    cs = cs * x2 - 0.5;
    cs = cs * x2 + 1.0;
    switch (quadrant) {
    case 0: *sin_out = sn; *cos_out = cs; break;
    case 1: *sin_out = cs; *cos_out = -sn; break;
    case 2: *sin_out = -sn; *cos_out = -cs; break;
    default: *sin_out = -cs; *cos_out = sn; break;
    }
}

// NoiseField.BoxMuller: (z0, z1) as float.
RS_FN void rs_box_muller(rs_u32 a, rs_u32 b, float* z0, float* z1)
{
    double u = ((double)a + 1.0) / 4294967296.0;
    double r = RS_SQRT(-2.0 * rs_log(u));
    double sn, cs;
    rs_sincos_turns(b, &sn, &cs);
    *z0 = (float)(r * cs);
    *z1 = (float)(r * sn);
}

// NoiseField.ValueAt with the job's key already derived (NoiseField.DeriveKey runs on the host).
RS_FN float rs_noise_at(rs_u32 k0, rs_u32 k1, int step, int channel, int y, int x)
{
    rs_u32 c[4] = { (rs_u32)x >> 2, (rs_u32)y, (rs_u32)channel, (rs_u32)step };
    rs_philox(c, k0, k1);
    float z0, z1;
    if ((x & 3) < 2) rs_box_muller(c[0], c[1], &z0, &z1);
    else rs_box_muller(c[2], c[3], &z0, &z1);
    return (x & 1) == 0 ? z0 : z1;
}

#endif
""";
}
