using ResShift.Engines.Abstractions;
using ResShift.Engines.OnnxRuntime;
using ResShift.Pipeline.Bird;
using ResShift.Pipeline.Models;

namespace ResShift.Pipeline.Tests.Bird;

/// <summary>The BIRD UNet on the CPU engine, as the daemon's backend factory opens it (batches of up to 4).</summary>
internal static class BirdEngine
{
    public static IBatchedGraph Open(ModelManifest m, int maxBatch = 4) =>
        new OnnxRuntimeGraph(m.PathOf(BirdUNet.Graph), BirdUNet.Signature(m), maxBatch);
}
