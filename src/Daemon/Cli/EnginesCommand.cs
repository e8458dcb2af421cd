using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using ResShift.Engines.Cuda;
using ResShift.Engines.Cuda.Kernels;
using ResShift.Engines.TensorRt;
using ResShift.Pipeline.Models;
using ResShift.Daemon.Backends;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Resampling;

namespace ResShift.Daemon.Cli;

/// <summary>
/// <c>resshift engines build</c>: TensorRT engines for a model on this GPU (cached next to the model).
/// <c>resshift engines selftest</c> (hidden): the CUDA layer on a real GPU against the CPU code (scripts/gpu-checks.sh).
/// </summary>
public static class EnginesCommand
{
    public static Command Create()
    {
        var command = new Command("engines", "GPU engines: build TensorRT engines for this machine");
        command.Subcommands.Add(Build());
        command.Subcommands.Add(SelfTest());
        return command;
    }

    private static Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model id", DefaultValueFactory = _ => "tiny-x4" };
        var precision = new Option<string>("--precision") { Description = "fp16 (GroupNorm, softmax, VQ distance kept fp32) or fp32", DefaultValueFactory = _ => "fp16" };
        var batch = new Option<int>("--max-batch") { Description = "Largest batch the engines accept (profile 1..N, optimised for N)", DefaultValueFactory = _ => 8 };
        var dir = CommonOptions.ModelsDir();
        var c = new Command("build", "Build TensorRT engines for a model on this GPU (needs NVIDIA driver, TensorRT 10 and libresshift_trt.so)") { model, precision, batch, dir };
        c.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            ModelManifest m = ModelRegistry.Discover(parse.GetValue(dir)).Get(parse.GetValue(model)!);
            string p = parse.GetValue(precision)!;
            int n = parse.GetValue(batch);
            if (p is not ("fp16" or "fp32")) throw new ArgumentException("--precision must be fp16 or fp32");
            if (n < 1) throw new ArgumentException("--max-batch must be >= 1");
            ModelFileCheck.EnsureIntact(m);
            CudaDevice device;
            try
            {
                device = CudaDevice.Get(0);
                _ = TensorRtLoader.LibraryVersion();
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CudaException)
            {
                // The CLI reports InvalidOperationException as one line and exit 1.
                throw new InvalidOperationException(e.Message, e);
            }
            var cache = new TrtEngineCache(EngineSetFactory.TrtCacheDirectory(m));
            var settings = new TrtBuildSettings(p, n, n, TrtBuildSettings.DefaultFp32Layers);
            o.WriteLine($"TensorRT {TensorRtLoader.LibraryVersion()} on {device.Name} (compute {device.ComputeCapability}), {p}, batch 1..{n}");
            foreach (TrtNetworkFile f in EngineSetFactory.TrtNetworks(m))
            {
                var clock = Stopwatch.StartNew();
                string path;
                bool built;
                try
                {
                    (path, built) = TensorRtLoader.Build(cache, f, device, settings);
                }
                catch (TensorRtException e)
                {
                    throw new InvalidOperationException(e.Message, e);
                }
                o.WriteLine($"{f.Network,-9} {(built ? $"built in {clock.Elapsed.TotalSeconds:F1} s" : "already built")}: {path}");
            }
            return ExitCodes.Success;
        });
        return c;
    }

    private static Command SelfTest()
    {
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file" };
        var c = new Command("selftest", "CUDA layer self-test against the CPU implementation") { json };
        c.Hidden = true;
        c.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            var results = new List<Dictionary<string, object>>();
            void Check(string name, Func<string> body)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    string detail = body();
                    results.Add(new() { ["check"] = name, ["ok"] = true, ["detail"] = detail, ["ms"] = clock.Elapsed.TotalMilliseconds });
                    o.WriteLine($"PASS {name}: {detail}");
                }
                catch (Exception e)
                {
                    results.Add(new() { ["check"] = name, ["ok"] = false, ["detail"] = e.Message, ["ms"] = clock.Elapsed.TotalMilliseconds });
                    o.WriteLine($"FAIL {name}: {e.Message}");
                }
            }
            GpuSelfTest.Run(Check);
            if (parse.GetValue(json) is { } path)
                File.WriteAllText(path, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
            int failed = results.Count(r => !(bool)r["ok"]);
            o.WriteLine($"selftest: {results.Count - failed} passed, {failed} failed");
            return failed == 0 ? ExitCodes.Success : ExitCodes.SomeFailed;
        });
        return c;
    }
}

/// <summary>The GPU checks behind `engines selftest`: each compares the device with the C# CPU code bit for bit.</summary>
internal static class GpuSelfTest
{
    public static void Run(Action<string, Func<string>> check)
    {
        CudaContext? ctx = null;
        ResShiftKernels? kernels = null;
        CudaStream? stream = null;
        check("driver", () =>
        {
            var d = CudaDevice.Get(0);
            return $"driver CUDA {CudaDevice.DriverVersion()}, {CudaDevice.Count()} device(s), GPU 0 {d.Name}, compute {d.ComputeCapability}, {d.TotalMemoryBytes >> 20} MiB";
        });
        check("context+memory", () =>
        {
            ctx = new CudaContext(0);
            stream = ctx.CreateStream();
            var (free, total) = ctx.MemoryInfo();
            return $"cuMemGetInfo free {free >> 20} MiB of {total >> 20} MiB; gauge {GpuMemoryMetrics.TryUsedBytes(ctx)} bytes used";
        });
        if (ctx is null || stream is null) return;
        check("copies H2D/D2D/D2H + events", () =>
        {
            const int n = 1 << 22;
            using var host = ctx.AllocatePinned(n * 4L);
            using var back = ctx.AllocatePinned(n * 4L);
            using var a = ctx.Allocate(n * 4L);
            using var b = ctx.Allocate(n * 4L);
            var src = host.AsSpan<float>();
            for (int i = 0; i < n; i++) src[i] = i * 0.25f;
            using var start = ctx.CreateEvent(timing: true);
            using var end = ctx.CreateEvent(timing: true);
            start.Record(stream);
            a.CopyFromAsync(host, n * 4L, stream);
            a.CopyToAsync(b, n * 4L, stream);
            b.CopyToAsync(back, n * 4L, stream);
            end.Record(stream);
            end.Synchronize();
            if (!back.AsSpan<byte>().SequenceEqual(host.AsSpan<byte>())) throw new InvalidOperationException("round trip changed the data");
            float ms = end.ElapsedSince(start);
            return $"16 MiB round trip ok, {ms:F2} ms GPU time ({3 * 16 / 1024.0 / (ms / 1000):F1} GiB/s over three copies)";
        });
        check("nvrtc compile + module load", () =>
        {
            kernels = new ResShiftKernels(ctx);
            var (maj, min) = NvrtcCompiler.Version();
            return $"NVRTC {maj}.{min}, compute_{kernels.Ptx.Architecture}, {kernels.Ptx.Ptx.Length} bytes PTX";
        });
        if (kernels is null) return;
        check("noise (sampler update, x=0) bit-identical to NoiseField", () =>
        {
            const int batch = 2, c = 3, side = 64, step = 3;
            ulong seed = 20261122, job = 77;
            var (k0, k1) = NoiseField.DeriveKey(seed, job);
            TileNoise[] tiles = [new(k0, k1, 0, 0, 1f), new(k0, k1, 48, 1000, 1f)];
            float[] x = new float[batch * c * side * side];
            float[] got = RunUpdate(ctx, kernels, stream, x, null, 1f, 0f, tiles, step, 1f, c, side, 0f).X;
            var expected = new float[x.Length];
            var field = new NoiseField(seed);
            for (int i = 0; i < batch; i++)
                field.Fill(new NoiseRequest(job, step, c, tiles[i].LatentY, tiles[i].LatentX, side, side), expected.AsSpan(i * c * side * side, c * side * side));
            // eps*1 + 0 = eps except -0 -> +0: compare through + 0f on the CPU side too.
            for (int i = 0; i < expected.Length; i++) expected[i] = expected[i] * 1f + 0f;
            return CompareBits(expected, got);
        });
        check("sampler update bit-identical to the CPU sequence", () =>
        {
            const int batch = 2, c = 3, side = 32, step = 2;
            var rng = new Random(5);
            float[] x = Enumerable.Range(0, batch * c * side * side).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            float[] x0 = Enumerable.Range(0, x.Length).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var (k0, k1) = NoiseField.DeriveKey(9, 10);
            TileNoise[] tiles = [new(k0, k1, 0, 0, 1f), new(k0, k1, 0, 32, 0.5f)];
            float c1 = 0.81f, c2 = 0.17f, sigma = 0.42f, next = 1.37f;
            var (gx, gs) = RunUpdate(ctx, kernels, stream, x, x0, c1, c2, tiles, step, sigma, c, side, next);
            var e = (float[])x.Clone();
            System.Numerics.Tensors.TensorPrimitives.Multiply(e, c1, e);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(x0, c2, e, e);
            var eps = new float[c * side * side];
            for (int i = 0; i < batch; i++)
            {
                new NoiseField(9).Fill(new NoiseRequest(10, step, c, tiles[i].LatentY, tiles[i].LatentX, side, side), eps);
                Span<float> xi = e.AsSpan(i * eps.Length, eps.Length);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(eps, sigma * tiles[i].NoiseScale, xi, xi);
            }
            var es = new float[e.Length];
            System.Numerics.Tensors.TensorPrimitives.Divide(e, next, es);
            return $"x {CompareBits(e, gx)}; x/input_std {CompareBits(es, gs)}";
        });
        check("bicubic x4 bit-identical to BicubicUpsampler", () =>
        {
            const int planes = 6, h = 64, w = 64, s = 4;
            var rng = new Random(3);
            float[] src = Enumerable.Range(0, planes * h * w).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var expected = new float[planes * h * w * s * s];
            new BicubicUpsampler(s).Upsample(src, planes, h, w, expected);
            using var hin = ctx.AllocatePinned(src.Length * 4L);
            using var hout = ctx.AllocatePinned(expected.Length * 4L);
            using var din = ctx.Allocate(src.Length * 4L);
            using var dout = ctx.Allocate(expected.Length * 4L);
            src.CopyTo(hin.AsSpan<float>());
            din.CopyFromAsync(hin, src.Length * 4L, stream);
            kernels.Bicubic(stream, din.Pointer, planes, h, w, s, dout.Pointer);
            dout.CopyToAsync(hout, expected.Length * 4L, stream);
            stream.Synchronize();
            return CompareBits(expected, hout.AsSpan<float>().ToArray());
        });
        kernels.Dispose();
        stream.Dispose();
        ctx.Dispose();
    }

    private static (float[] X, float[] Scaled) RunUpdate(CudaContext ctx, ResShiftKernels k, CudaStream stream, float[] x, float[]? x0,
        float c1, float c2, TileNoise[] tiles, int step, float sigma, int channels, int side, float next)
    {
        long bytes = x.Length * 4L;
        using var hx = ctx.AllocatePinned(bytes);
        using var hs = ctx.AllocatePinned(bytes);
        using var ht = ctx.AllocatePinned(tiles.Length * 32L);
        using var dx = ctx.Allocate(bytes);
        using var dx0 = ctx.Allocate(bytes);
        using var ds = ctx.Allocate(bytes);
        using var dt = ctx.Allocate(tiles.Length * 32L);
        MemoryMarshal.AsBytes(tiles.AsSpan()).CopyTo(ht.AsSpan<byte>());
        dt.CopyFromAsync(ht, tiles.Length * 32L, stream);
        if (x0 is not null)
        {
            x0.CopyTo(hx.AsSpan<float>());
            dx0.CopyFromAsync(hx, bytes, stream);
            stream.Synchronize();
        }
        x.CopyTo(hx.AsSpan<float>());
        dx.CopyFromAsync(hx, bytes, stream);
        k.SamplerUpdate(stream, dx.Pointer, x0 is null ? 0 : dx0.Pointer, c1, c2, dt.Pointer, tiles.Length, step, sigma, channels, side,
            next > 0 ? ds.Pointer : 0, next > 0 ? next : 1f);
        dx.CopyToAsync(hx, bytes, stream);
        ds.CopyToAsync(hs, bytes, stream);
        stream.Synchronize();
        return (hx.AsSpan<float>().ToArray(), hs.AsSpan<float>().ToArray());
    }

    private static string CompareBits(float[] expected, float[] actual)
    {
        int diff = 0, first = -1;
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                diff++;
                if (first < 0) first = i;
            }
        if (diff > 0)
            throw new InvalidOperationException($"{diff} of {expected.Length} values differ; first at {first}: CPU {expected[first]:R}, GPU {actual[first]:R}");
        return $"{expected.Length} values bit-identical";
    }
}
