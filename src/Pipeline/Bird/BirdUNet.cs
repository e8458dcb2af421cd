using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Models;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// What BIRD asks of its engine: the exported UNet as an <see cref="IBatchedGraph"/> with inputs x f32 [N,C,H,W]
/// and t int64 [N], output eps f32 [N,C,H,W]. The engine is opened by the backend factory (the daemon's
/// <c>EngineSetFactory.CreateGraph</c>), never here: Pipeline only states the contract.
/// </summary>
public static class BirdUNet
{
    /// <summary>The manifest's file role of the graph.</summary>
    public const string Graph = "unet";

    public static GraphSignature Signature(ModelManifest m)
    {
        if (!m.IsBird) throw new ArgumentException($"model '{m.Id}' is not a BIRD model");
        int c = m.Bird!.Channels, r = m.Bird.Image;
        return new GraphSignature("BIRD UNet",
            [new GraphTensor("x", GraphElementType.Float32, c, r, r), new GraphTensor("t", GraphElementType.Int64)],
            [new GraphTensor("eps", GraphElementType.Float32, c, r, r)]);
    }

    /// <summary>ε for <paramref name="batch"/> images in one engine call.</summary>
    public static void Run(IBatchedGraph unet, ReadOnlyMemory<float> x, ReadOnlyMemory<long> t, Memory<float> eps, int batch, CancellationToken cancellationToken) =>
        unet.Run(batch, [GraphInput.Float32("x", x), GraphInput.Int64("t", t)], [new GraphOutput("eps", eps)], cancellationToken);
}
