using Microsoft.ML.OnnxRuntime.Tensors;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// One tensor a graph must declare: its name, element type and dimensions. Dimension 0 is the batch and must
/// be dynamic (or fixed at 1 when the engine only ever runs batch 1); the rest must match when fixed.
/// </summary>
internal sealed record TensorContract(string Name, TensorElementType ElementType, params long[] Dimensions)
{
    public override string ToString() => $"{Name}: {ElementType}[N{string.Concat(Dimensions.Skip(1).Select(d => "," + d))}]";
}

/// <summary>The inputs and outputs one of the three graphs must have.</summary>
internal sealed record GraphContract(string Role, IReadOnlyList<TensorContract> Inputs, IReadOnlyList<TensorContract> Outputs)
{
    public static GraphContract Encoder(Abstractions.ModelGeometry g) => new("encoder",
        [new("image", TensorElementType.Float, -1, g.ImageChannels, g.ImageTile, g.ImageTile)],
        [new("latent", TensorElementType.Float, -1, g.LatentChannels, g.LatentTile, g.LatentTile)]);

    public static GraphContract Denoiser(Abstractions.ModelGeometry g) => new("denoiser",
        [
            new("x", TensorElementType.Float, -1, g.LatentChannels, g.LatentTile, g.LatentTile),
            new("t", TensorElementType.Int64, -1),
            new("lq", TensorElementType.Float, -1, g.ImageChannels, g.LqTile, g.LqTile),
            .. (g.MaskChannels > 0 ? [new TensorContract("mask", TensorElementType.Float, -1, g.MaskChannels, g.LqTile, g.LqTile)] : Array.Empty<TensorContract>()),
        ],
        [new("x0", TensorElementType.Float, -1, g.LatentChannels, g.LatentTile, g.LatentTile)]);

    public static GraphContract Decoder(Abstractions.ModelGeometry g) => new("decoder",
        [new("latent", TensorElementType.Float, -1, g.LatentChannels, g.LatentTile, g.LatentTile)],
        [new("image", TensorElementType.Float, -1, g.ImageChannels, g.ImageTile, g.ImageTile)]);
}
