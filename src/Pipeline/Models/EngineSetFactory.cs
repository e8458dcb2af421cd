using ResShift.Engines.Abstractions;
using ResShift.Engines.OnnxRuntime;

namespace ResShift.Pipeline.Models;

/// <summary>Opens the engine set for a model: checks its files, then loads the backend that was asked for.</summary>
public static class EngineSetFactory
{
    public static IEngineSet Create(ModelManifest manifest, EngineKind kind, int maxBatch, int threads = 0)
    {
        ModelFileCheck.EnsureIntact(manifest);
        switch (kind)
        {
            case EngineKind.TensorRt:
                throw new NotSupportedException("the TensorRT engine needs an NVIDIA GPU build of ResShift Pipeline (see docs/GPU.md); use --engine cpu");
            case EngineKind.Auto:
            case EngineKind.Cpu:
                // The CPU arena is off by default: with it on, runs whose batch size changed from the previous run
                // failed inside ORT now and then ("GetElementType is not implemented" in a Reshape), seen in the
                // daemon tests during drains; RESSHIFT_ORT_ARENA=1 turns it back on (10-20 % faster).
                // ONNX Runtime's own default counts physical cores and leaves SMT siblings idle: ask for every logical core.
                int intraOp = threads > 0 ? threads : Environment.ProcessorCount;
                var options = new OnnxRuntimeEngineOptions { Session = new OrtSessionSettings { IntraOpThreads = intraOp, CpuMemArena = Environment.GetEnvironmentVariable("RESSHIFT_ORT_ARENA") == "1" } };
                return new OnnxRuntimeEngineSet(manifest.PathOf("encoder"), manifest.PathOf("denoiser"), manifest.PathOf("decoder"),
                    manifest.Geometry, maxBatch, options);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}
