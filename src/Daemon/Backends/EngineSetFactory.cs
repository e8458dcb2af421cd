using ResShift.Engines.Abstractions;
using ResShift.Engines.OnnxRuntime;
using ResShift.Engines.TensorRt;
using ResShift.Pipeline.Models;

namespace ResShift.Daemon.Backends;

/// <summary>Opens the engine set for a model: checks its files, then loads the backend that was asked for.</summary>
public static class EngineSetFactory
{
    /// <param name="log">Receives why --engine auto chose what it chose (stderr when null).</param>
    public static IEngineSet Create(ModelManifest manifest, EngineKind kind, int maxBatch, int threads = 0, Action<string>? log = null)
    {
        ModelFileCheck.EnsureIntact(manifest);
        log ??= Console.Error.WriteLine;
        // The TensorRT engine set binds x, t and lq only: an inpainting model's mask input runs on the CPU engine.
        if (manifest.Geometry.MaskChannels > 0 && kind != EngineKind.Cpu)
        {
            if (kind == EngineKind.TensorRt)
                throw new NotSupportedException($"model '{manifest.Id}' takes a mask input, which the TensorRT engine does not bind yet; use --engine cpu");
            log($"engine auto: using the CPU engine because model '{manifest.Id}' takes a mask input (not bound by the TensorRT engine yet)");
            kind = EngineKind.Cpu;
        }
        switch (kind)
        {
            case EngineKind.TensorRt: // built engines, or built now, or a refusal with the reason: never the CPU
                return TensorRtLoader.OpenOrBuild(TrtCacheDirectory(manifest), TrtNetworks(manifest), manifest.Geometry, maxBatch, "fp16", log);
            case EngineKind.Auto:
                if (TensorRtLoader.TryOpen(TrtCacheDirectory(manifest), TrtNetworks(manifest), manifest.Geometry, maxBatch, "fp16", out IEngineSet? auto, out string reason))
                {
                    log($"engine auto: {reason}");
                    return auto!;
                }
                log($"engine auto: using the CPU engine because {reason}");
                goto case EngineKind.Cpu;
            case EngineKind.Cpu:
                // ORT's CPU arena is 10-20 % faster here and about doubles peak memory (0.3 -> 0.6 GB on tiny-x4 at
                // batch 4, with the mmap threshold pinned); RESSHIFT_ORT_ARENA=0 turns it off where memory is tight
                // (see OrtEnvironmentSettings for the other operator overrides).
                // ONNX Runtime's own default counts physical cores and leaves SMT siblings idle: ask for every logical core.
                int intraOp = threads > 0 ? threads : Environment.ProcessorCount;
                var options = new OnnxRuntimeEngineOptions
                {
                    Session = OrtEnvironmentSettings.Apply(new OrtSessionSettings { IntraOpThreads = intraOp }, Environment.GetEnvironmentVariable),
                };
                return new OnnxRuntimeEngineSet(manifest.PathOf("encoder"), manifest.PathOf("denoiser"), manifest.PathOf("decoder"),
                    manifest.Geometry, maxBatch, options);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>
    /// Opens one graph of a model behind the engine contract with named inputs and a dynamic batch (BIRD's UNet):
    /// checks the model's files, then loads the backend asked for, checking the graph against
    /// <paramref name="signature"/>. Only the CPU engine runs single graphs today: auto picks it (and says so),
    /// tensorrt is refused with the reason.
    /// </summary>
    public static IBatchedGraph CreateGraph(ModelManifest manifest, string graph, GraphSignature signature, EngineKind kind, int maxBatch,
        int threads = 0, Action<string>? log = null)
    {
        ModelFileCheck.EnsureIntact(manifest);
        log ??= Console.Error.WriteLine;
        switch (kind)
        {
            case EngineKind.TensorRt:
                throw new NotSupportedException($"model '{manifest.Id}': the TensorRT engine runs ResShift's three graphs only, not the {signature.Role}; use --engine cpu");
            case EngineKind.Auto:
                log($"engine auto: using the CPU engine for model '{manifest.Id}' (the {signature.Role} runs on ONNX Runtime's CPU provider)");
                goto case EngineKind.Cpu;
            case EngineKind.Cpu:
                // threads 0 keeps ONNX Runtime's own default (physical cores), as BIRD always had: its small UNet calls
                // were slower with every logical core on a busy 2-core machine (bench bird-tiny).
                var settings = OrtEnvironmentSettings.Apply(new OrtSessionSettings { IntraOpThreads = threads }, Environment.GetEnvironmentVariable);
                return new OnnxRuntimeGraph(manifest.PathOf(graph), signature, maxBatch, settings);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>
    /// Built TensorRT engines live next to the model (&lt;model dir&gt;/trt/), or under $RESSHIFT_TRT_CACHE/&lt;model id&gt;/
    /// (a volume that outlives the container, so a new pod does not rebuild them).
    /// </summary>
    public static string TrtCacheDirectory(ModelManifest manifest, Func<string, string?>? environment = null) =>
        (environment ?? Environment.GetEnvironmentVariable)("RESSHIFT_TRT_CACHE") is { Length: > 0 } root
            ? Path.Combine(root, manifest.Id)
            : Path.Combine(manifest.Directory, "trt");

    /// <summary>The three networks with the per-tile input shapes their engines are built for (part of the cache key).</summary>
    public static IReadOnlyList<TrtNetworkFile> TrtNetworks(ModelManifest manifest)
    {
        var g = manifest.Geometry;
        string image = $"{g.ImageChannels}x{g.ImageTile}x{g.ImageTile}", latent = $"{g.LatentChannels}x{g.LatentTile}x{g.LatentTile}", lq = $"{g.ImageChannels}x{g.LqTile}x{g.LqTile}";
        return
        [
            new("encoder", manifest.PathOf("encoder"), $"image:{image}"),
            new("denoiser", manifest.PathOf("denoiser"), $"x:{latent};t;lq:{lq}"),
            new("decoder", manifest.PathOf("decoder"), $"latent:{latent}"),
        ];
    }
}
