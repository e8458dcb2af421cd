using ResShift.Engines.Abstractions;
using ResShift.Engines.Cuda;
using ResShift.Engines.TensorRt.Native;

namespace ResShift.Engines.TensorRt;

/// <summary>One network of a model: its ONNX file and the per-tile input shapes the engine is built for.</summary>
public sealed record TrtNetworkFile(string Network, string OnnxPath, string InputShapes);

/// <summary>
/// Finds built engines for a model and opens them. <see cref="TryOpen"/> never throws for "not here" (no driver,
/// no GPU, no shim/TensorRT, engines not built): it returns a reason, which --engine auto logs before using the CPU.
/// </summary>
public static class TensorRtLoader
{
    /// <summary>Batch profiles looked for: engines built for a larger max batch serve smaller batches.</summary>
    public static IEnumerable<int> CandidateMaxBatches(int requested) => new[] { requested, 4, 8, 16, 32, 64 }.Where(b => b >= requested).Distinct();

    public static TrtEngineKey KeyFor(TrtNetworkFile file, string onnxSha256, CudaDevice device, int trtVersion, string precision, int maxBatch) =>
        new(file.Network, onnxSha256, device.Name, device.ComputeCapability, trtVersion, precision, 1, maxBatch, maxBatch, file.InputShapes);

    /// <summary>Which engines are missing, or null when all three are in the cache (paths in <paramref name="plans"/>).</summary>
    public static string? FindPlans(TrtEngineCache cache, IReadOnlyList<TrtNetworkFile> files, CudaDevice device, int trtVersion,
        string precision, int maxBatch, out string[] plans)
    {
        var shas = files.Select(f => TrtEngineKey.Sha256OfFile(f.OnnxPath)).ToArray();
        foreach (int max in CandidateMaxBatches(maxBatch))
        {
            var keys = files.Select((f, i) => KeyFor(f, shas[i], device, trtVersion, precision, max)).ToArray();
            if (keys.All(cache.Contains))
            {
                plans = keys.Select(cache.PathFor).ToArray();
                return null;
            }
        }
        plans = [];
        var wanted = files.Select((f, i) => KeyFor(f, shas[i], device, trtVersion, precision, maxBatch).FileName);
        return $"no built {precision} TensorRT engines for this GPU/TensorRT/model in {cache.Directory} (looked for e.g. {string.Join(", ", wanted)}); run `resshift engines build`";
    }

    public static bool TryOpen(string cacheDirectory, IReadOnlyList<TrtNetworkFile> files, ModelGeometry geometry, int maxBatch,
        string precision, out IEngineSet? engines, out string reason)
    {
        engines = null;
        if (!TryProbe(out CudaDevice? device, out int trtVersion, out reason)) return false;
        precision = EffectivePrecision(precision, TrtNativeMethods.HasWeakTyping(), out _);
        string? missing = FindPlans(new TrtEngineCache(cacheDirectory), files, device!, trtVersion, precision, maxBatch, out string[] plans);
        if (missing is not null)
        {
            reason = missing;
            return false;
        }
        engines = Open(plans, device!, geometry, maxBatch, precision);
        reason = $"TensorRT {trtVersion} on {device!.Name} (compute {device.ComputeCapability})";
        return true;
    }

    /// <summary>
    /// What `Engine: TensorRt` does at start: opens the built engines, or builds the missing ones first (each
    /// network's cache key and build time go to <paramref name="log"/>: minutes per network on a first start), or
    /// throws <see cref="TensorRtUnavailableException"/> with the reason. It never falls back to the CPU.
    /// </summary>
    public static IEngineSet OpenOrBuild(string cacheDirectory, IReadOnlyList<TrtNetworkFile> files, ModelGeometry geometry, int maxBatch,
        string precision, Action<string> log)
    {
        if (!TryProbe(out CudaDevice? device, out int trtVersion, out string reason)) throw new TensorRtUnavailableException(reason);
        precision = EffectivePrecision(precision, TrtNativeMethods.HasWeakTyping(), out string? note);
        if (note is not null) log($"engine tensorrt: {note}");
        var cache = new TrtEngineCache(cacheDirectory);
        if (FindPlans(cache, files, device!, trtVersion, precision, maxBatch, out string[] plans) is not null)
        {
            TrtBuildSettings settings = SettingsFor(precision, maxBatch);
            log($"engine tensorrt: no {precision} engines for {device!.Name} / TensorRT {trtVersion} in {cacheDirectory}: building them now " +
                "(minutes per network; `resshift engines build` does this ahead of time)");
            foreach (TrtNetworkFile f in files)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                TrtEngineKey key = KeyFor(f, TrtEngineKey.Sha256OfFile(f.OnnxPath), device, trtVersion, precision, maxBatch);
                log($"engine tensorrt: building {f.Network}, batch 1..{maxBatch}, cache key {key.FileName}");
                try
                {
                    var (path, built, buildLog) = Build(cache, f, device, settings);
                    log($"engine tensorrt: {f.Network} {(built ? $"built in {clock.Elapsed.TotalSeconds:F0} s" : "already built")}: {path}");
                    if (buildLog.Length > 0) log($"engine tensorrt: {f.Network} build log:\n{buildLog}");
                }
                catch (TensorRtException e)
                {
                    throw new TensorRtUnavailableException($"building the {f.Network} engine from {f.OnnxPath} failed: {e.Message}", e);
                }
            }
            if (FindPlans(cache, files, device, trtVersion, precision, maxBatch, out plans) is { } still)
                throw new TensorRtUnavailableException(still);
        }
        log($"engine tensorrt: TensorRT {trtVersion} on {device!.Name} (compute {device.ComputeCapability}), engines {string.Join(", ", plans.Select(Path.GetFileName))}");
        return Open(plans, device, geometry, maxBatch, precision);
    }

    /// <summary>Driver, GPU, shim and TensorRT all load; otherwise the reason (the loader's own text included).</summary>
    private static bool TryProbe(out CudaDevice? device, out int trtVersion, out string reason)
    {
        trtVersion = 0;
        if (!CudaDevice.TryProbe(out device, out reason)) return false;
        try
        {
            trtVersion = TrtNativeMethods.LibraryVersion();
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or NotSupportedException)
        {
            reason = e.Message;
            return false;
        }
    }

    private static TensorRtEngineSet Open(string[] plans, CudaDevice device, ModelGeometry geometry, int maxBatch, string precision)
    {
        var context = new CudaContext(device.Ordinal);
        try
        {
            return new TensorRtEngineSet(context, File.ReadAllBytes(plans[0]), File.ReadAllBytes(plans[1]), File.ReadAllBytes(plans[2]),
                geometry, maxBatch, precision, SlotsFromEnvironment(), ownsContext: true);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Builds (or reuses) the engine for one network; returns its path and TensorRT's warnings. Needs a GPU, TensorRT and the shim.</summary>
    public static (string Path, bool Built, string Log) Build(TrtEngineCache cache, TrtNetworkFile file, CudaDevice device, TrtBuildSettings settings)
    {
        int trtVersion = TrtNativeMethods.LibraryVersion();
        var key = KeyFor(file, TrtEngineKey.Sha256OfFile(file.OnnxPath), device, trtVersion, settings.Precision, settings.MaxBatch);
        if (cache.Contains(key)) return (cache.PathFor(key), false, "");
        string timingPath = cache.TimingCachePath(device.Name, device.ComputeCapability, trtVersion);
        var (plan, timing, log) = TrtNativeMethods.Build(file.OnnxPath, settings, cache.LoadTimingCache(timingPath));
        cache.StoreTimingCache(timingPath, timing);
        return (cache.Store(key, plan), true, log);
    }

    /// <summary>
    /// The precision engines are built in. TensorRT 11 removed weakly-typed fp16 (the fp16 flag with fp32 pins):
    /// there an fp16 engine needs an fp16 ONNX export with fp32 islands, which engines/export.py does not produce
    /// yet, so "fp16" becomes an fp32 engine from the fp32 export and <paramref name="note"/> says so.
    /// </summary>
    public static string EffectivePrecision(string requested, bool weakTyping, out string? note)
    {
        note = null;
        if (requested != "fp16" || weakTyping) return requested;
        note = "this TensorRT (11+) builds strongly typed networks only, and the models are exported in fp32: building fp32 engines " +
            "(fp16 needs an fp16 ONNX export with fp32 islands)";
        return "fp32";
    }

    /// <summary>Build settings for <paramref name="precision"/> on this shim: strongly typed where weak typing is gone.</summary>
    public static TrtBuildSettings SettingsFor(string precision, int maxBatch, int optimizationLevel = -1) =>
        new(precision, maxBatch, maxBatch, TrtBuildSettings.DefaultFp32Layers, OptimizationLevel: optimizationLevel,
            StronglyTyped: !TrtNativeMethods.HasWeakTyping());

    public static int LibraryVersion() => TrtNativeMethods.LibraryVersion();

    /// <summary>False when the loaded shim targets TensorRT 11+ (strongly typed networks only).</summary>
    public static bool ShimHasWeakTyping() => TrtNativeMethods.HasWeakTyping();

    /// <summary>RESSHIFT_TRT_SLOTS=1 turns copy/compute overlap off (gpu-checks.sh benchmarks both).</summary>
    public static TensorRtEngineOptions SlotsFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("RESSHIFT_TRT_SLOTS"), out int n) && n >= 1 ? new TensorRtEngineOptions { Slots = n } : new TensorRtEngineOptions();
}
