using System.Diagnostics;
using System.Runtime.InteropServices;
using ResShift.Engines.TensorRt;
using ResShift.Engines.TensorRt.Native;
using Xunit.Abstractions;

namespace ResShift.Engines.Tests.TensorRt;

/// <summary>
/// The C ABI of native/trt as the C compiler lays it out (no TensorRT needed: only resshift_trt.h) against the
/// structs the P/Invoke layer passes, and the shim against every TensorRT header set present (10.x and 11.x).
/// </summary>
public class ShimAbiTests(ITestOutputHelper output)
{
    private static string Repo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "native/trt/resshift_trt.h"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root");
    }

    private static (int Code, string Text) Run(string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string text = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120))) { p.Kill(true); throw new TimeoutException($"{file} {arguments}"); }
        return (p.ExitCode, text + err.Result);
    }

    [Fact]
    public void Build_options_and_tensor_info_have_the_c_layout()
    {
        string dir = Directory.CreateTempSubdirectory("trt-abi-").FullName;
        string c = Path.Combine(dir, "layout.c"), exe = Path.Combine(dir, "layout");
        File.WriteAllText(c, """
            #include <stdio.h>
            #include <stddef.h>
            #include "resshift_trt.h"
            int main(void) {
                printf("%zu %zu %zu %zu %zu %d\n", sizeof(rs_trt_build_options), offsetof(rs_trt_build_options, fp32_layers),
                       offsetof(rs_trt_build_options, builder_optimization_level), offsetof(rs_trt_build_options, strongly_typed),
                       sizeof(rs_trt_tensor_info), RS_TRT_ABI_VERSION);
                return 0;
            }
            """);
        var (code, text) = Run("gcc", $"-std=c11 -Wall -Werror -I{Path.Combine(Repo(), "native/trt")} {c} -o {exe}");
        Assert.True(code == 0, text);
        var (run, layout) = Run(exe, "");
        Assert.Equal(0, run);
        long[] v = layout.Split(' ', StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        Assert.Equal(v[0], Marshal.SizeOf<TrtNativeMethods.BuildOptions>());
        Assert.Equal(v[1], (long)Marshal.OffsetOf<TrtNativeMethods.BuildOptions>(nameof(TrtNativeMethods.BuildOptions.Fp32Layers)));
        Assert.Equal(v[2], (long)Marshal.OffsetOf<TrtNativeMethods.BuildOptions>(nameof(TrtNativeMethods.BuildOptions.BuilderOptimizationLevel)));
        Assert.Equal(v[3], (long)Marshal.OffsetOf<TrtNativeMethods.BuildOptions>(nameof(TrtNativeMethods.BuildOptions.StronglyTyped)));
        Assert.Equal(v[4], Marshal.SizeOf<TrtNativeMethods.TensorInfo>());
        Assert.Equal(TrtNativeMethods.AbiVersion, v[5]);
    }

    [Fact]
    public void Tensorrt_11_without_weak_typing_builds_fp32_and_says_why()
    {
        Assert.Equal("fp16", TensorRtLoader.EffectivePrecision("fp16", weakTyping: true, out string? none));
        Assert.Null(none);
        Assert.Equal("fp32", TensorRtLoader.EffectivePrecision("fp16", weakTyping: false, out string? note));
        Assert.Contains("strongly typed", note);
        Assert.Equal("fp32", TensorRtLoader.EffectivePrecision("fp32", weakTyping: false, out string? fp32));
        Assert.Null(fp32);
    }

    /// <summary>
    /// Every TensorRT include folder given (RESSHIFT_TRT_INCLUDE) or fetched into .tools/trt-headers/&lt;tag&gt;/include
    /// (github:NVIDIA/TensorRT, never committed): the shim compiles with -Werror against each, 10.x and 11.x alike.
    /// </summary>
    [SkippableFact]
    public void Shim_compiles_against_every_tensorrt_header_set_present()
    {
        string repo = Repo();
        var includes = new List<string>();
        if (Environment.GetEnvironmentVariable("RESSHIFT_TRT_INCLUDE") is { Length: > 0 } given) includes.Add(given);
        string fetched = Path.Combine(repo, ".tools", "trt-headers");
        if (Directory.Exists(fetched)) includes.AddRange(Directory.GetDirectories(fetched).Select(d => Path.Combine(d, "include")));
        includes = includes.Where(i => File.Exists(Path.Combine(i, "NvInfer.h")) && File.Exists(Path.Combine(i, "NvOnnxParser.h"))).ToList();
        Skip.If(includes.Count == 0, "no TensorRT headers here (set RESSHIFT_TRT_INCLUDE, or put github:NVIDIA/TensorRT include/ folders under .tools/trt-headers/<tag>/include)");
        foreach (string include in includes)
        {
            string so = Path.Combine(Directory.CreateTempSubdirectory("trt-shim-").FullName, "libresshift_trt.so");
            var (code, text) = Run("bash", $"{Path.Combine(repo, "native/trt/check.sh")} {include} {so}");
            output.WriteLine(text);
            Assert.True(code == 0, text);
            Assert.Contains("shim OK", text);
            Assert.Contains("17 exports", text);
        }
    }
}
