using System.Diagnostics;
using ResShift.Engines.Cuda.Kernels;

namespace ResShift.Engines.Tests.Cuda;

/// <summary>
/// Builds the kernel source (exactly the text NVRTC gets) as plain C++ with g++ -ffp-contract=off, with a stub
/// for the CUDA builtins, and runs each kernel on the CPU one "thread" at a time. This proves the kernels'
/// arithmetic matches the C# pipeline bit for bit without a GPU; on a GPU, `resshift engines selftest` checks
/// the same against the real device (NVRTC --fmad=false gives the same IEEE rounding as -ffp-contract=off).
/// </summary>
public sealed class HostKernelHarness : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("rs-kernels-");

    public HostKernelHarness()
    {
        File.WriteAllText(Path.Combine(_dir.FullName, NoiseDeviceSource.HeaderName), NoiseDeviceSource.Text);
        File.WriteAllText(Path.Combine(_dir.FullName, KernelSource.ProgramName), KernelSource.Text);
        File.WriteAllText(Path.Combine(_dir.FullName, "cuda_host_stub.h"), Stub);
        File.WriteAllText(Path.Combine(_dir.FullName, "harness.cpp"), Main);
        Executable = Path.Combine(_dir.FullName, "harness");
        // -mfma where the CPU has it: contraction would then change results, so -ffp-contract=off is really tested.
        string fma = File.Exists("/proc/cpuinfo") && File.ReadAllText("/proc/cpuinfo").Contains(" fma ") ? " -mfma" : "";
        CompileLog = Run("g++", $"-O2 -std=gnu++17 -ffp-contract=off{fma} -Wall -Werror -Wno-unused-function -include cuda_host_stub.h harness.cpp -o harness");
    }

    public string Executable { get; }

    public string CompileLog { get; }

    public string Path_(string name) => Path.Combine(_dir.FullName, name);

    public string Run(string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments) { WorkingDirectory = _dir.FullName, RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} exited {p.ExitCode}:\n{output}");
        return output;
    }

    /// <summary>Runs one kernel mode: writes <paramref name="input"/>, returns the output file's bytes.</summary>
    public byte[] Kernel(string mode, byte[] input, params object[] args)
    {
        string id = Guid.NewGuid().ToString("N");
        string inPath = Path_($"{id}.in"), outPath = Path_($"{id}.out");
        File.WriteAllBytes(inPath, input);
        Run(Executable, $"{mode} {inPath} {outPath} {string.Join(' ', args.Select(a => Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)))}");
        return File.ReadAllBytes(outPath);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private const string Stub = """
// Just enough of CUDA for the kernel text to compile as host C++: one thread per call, blockDim = 1.
#include <math.h>
#include <string.h>
struct rs_dim3 { unsigned x, y, z; };
static rs_dim3 blockIdx, threadIdx = {0, 0, 0}, blockDim = {1, 1, 1};
#define __global__
#define __device__
#define __forceinline__ inline
""";

    private const string Main = """
#include "resshift_kernels.cu"
#include <stdio.h>
#include <stdlib.h>
#include <vector>

static std::vector<char> slurp(const char* path) {
    FILE* f = fopen(path, "rb"); if (!f) { perror(path); exit(3); }
    fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    std::vector<char> b(n); if (n && fread(b.data(), 1, n, f) != (size_t)n) exit(3); fclose(f); return b;
}
static void spit(const char* path, const void* p, size_t n) {
    FILE* f = fopen(path, "wb"); if (!f || fwrite(p, 1, n, f) != n) exit(4); fclose(f);
}
template <typename F> static void grid(unsigned gx, unsigned gy, unsigned gz, F f) {
    for (unsigned z = 0; z < gz; z++) for (unsigned y = 0; y < gy; y++) for (unsigned x = 0; x < gx; x++) { blockIdx = {x, y, z}; f(); }
}

int main(int argc, char** argv) {
    if (argc < 4) return 2;
    const char* mode = argv[1]; std::vector<char> in = slurp(argv[2]); const char* out = argv[3];
    char** a = argv + 4;
    if (!strcmp(mode, "noise")) {           // k0 k1 step channels height width y0 x0
        unsigned k0 = strtoul(a[0], 0, 10), k1 = strtoul(a[1], 0, 10);
        int step = atoi(a[2]), C = atoi(a[3]), H = atoi(a[4]), W = atoi(a[5]), y0 = atoi(a[6]), x0 = atoi(a[7]);
        std::vector<float> r;
        for (int c = 0; c < C; c++) for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) r.push_back(rs_noise_at(k0, k1, step, c, y0 + y, x0 + x));
        spit(out, r.data(), r.size() * 4);
    } else if (!strcmp(mode, "math")) {     // in: n doubles then n uint32; out: n x (log, sin, cos)
        size_t n = in.size() / 12; const double* u = (const double*)in.data(); const unsigned* b = (const unsigned*)(in.data() + n * 8);
        std::vector<double> r;
        for (size_t i = 0; i < n; i++) { double s, c; rs_sincos_turns(b[i], &s, &c); r.push_back(rs_log(u[i])); r.push_back(s); r.push_back(c); }
        spit(out, r.data(), r.size() * 8);
    } else if (!strcmp(mode, "bicubic")) {  // planes h w s
        int P = atoi(a[0]), h = atoi(a[1]), w = atoi(a[2]), s = atoi(a[3]);
        std::vector<float> r((size_t)P * h * w * s * s);
        grid(w * s, h * s, P, [&] { rs_bicubic_up((const float*)in.data(), h, w, s, r.data()); });
        spit(out, r.data(), r.size() * 4);
    } else if (!strcmp(mode, "update")) {   // batch channels side c1 c2 step sigma hasX0 nextStd ; in: x, x0, tiles
        int B = atoi(a[0]), C = atoi(a[1]), S = atoi(a[2]); float c1 = strtof(a[3], 0), c2 = strtof(a[4], 0);
        int step = atoi(a[5]); float sigma = strtof(a[6], 0); int hasX0 = atoi(a[7]); float next = strtof(a[8], 0);
        size_t n = (size_t)B * C * S * S;
        std::vector<float> x(n), x0(n), scaled(n); std::vector<rs_tile_noise> tiles(B);
        memcpy(x.data(), in.data(), n * 4); memcpy(x0.data(), in.data() + n * 4, n * 4); memcpy(tiles.data(), in.data() + n * 8, B * sizeof(rs_tile_noise));
        grid(C * S * S, B, 1, [&] { rs_sampler_update(x.data(), hasX0 ? x0.data() : 0, c1, c2, tiles.data(), step, sigma, C, S, next > 0 ? scaled.data() : 0, next); });
        x.insert(x.end(), scaled.begin(), scaled.end());
        spit(out, x.data(), x.size() * 4);
    } else if (!strcmp(mode, "tonchw")) {   // bitDepth imageW bands tileX tileY tileW tileH padded half
        int bits = atoi(a[0]), W = atoi(a[1]), bands = atoi(a[2]), tx = atoi(a[3]), ty = atoi(a[4]), tw = atoi(a[5]), th = atoi(a[6]), p = atoi(a[7]), half = atoi(a[8]);
        float im = bits == 16 ? 1.0f / 65535.0f : 1.0f / 255.0f;
        size_t n = (size_t)3 * p * p; std::vector<float> f(n); std::vector<unsigned short> hf(n);
        grid(p, p, 1, [&] {
            if (bits == 8 && !half) rs_hwc_u8_to_nchw_f32((const unsigned char*)in.data(), W, bands, im, tx, ty, tw, th, p, f.data());
            if (bits == 16 && !half) rs_hwc_u16_to_nchw_f32((const unsigned short*)in.data(), W, bands, im, tx, ty, tw, th, p, f.data());
            if (bits == 8 && half) rs_hwc_u8_to_nchw_f16((const unsigned char*)in.data(), W, bands, im, tx, ty, tw, th, p, hf.data());
            if (bits == 16 && half) rs_hwc_u16_to_nchw_f16((const unsigned short*)in.data(), W, bands, im, tx, ty, tw, th, p, hf.data());
        });
        if (half) spit(out, hf.data(), n * 2); else spit(out, f.data(), n * 4);
    } else if (!strcmp(mode, "tohwc")) {    // h w cropW cropH bitDepth
        int h = atoi(a[0]), w = atoi(a[1]), cw = atoi(a[2]), ch = atoi(a[3]), bits = atoi(a[4]);
        size_t n = (size_t)3 * cw * ch; std::vector<unsigned char> b8(n); std::vector<unsigned short> b16(n);
        grid(cw, ch, 1, [&] {
            if (bits == 8) rs_nchw_to_hwc_u8((const float*)in.data(), h, w, cw, ch, b8.data());
            else rs_nchw_to_hwc_u16((const float*)in.data(), h, w, cw, ch, b16.data());
        });
        if (bits == 8) spit(out, b8.data(), n); else spit(out, b16.data(), n * 2);
    } else return 2;
    return 0;
}
""";
}
