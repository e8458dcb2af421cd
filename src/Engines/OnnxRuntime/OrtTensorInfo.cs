using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// What a graph declares for one input or output. A dimension of -1 is dynamic; its symbolic name (e.g. "N"),
/// when the graph gives one, is in <see cref="SymbolicDimensions"/> at the same index.
/// </summary>
public sealed record OrtTensorInfo(
    string Name,
    bool IsTensor,
    TensorElementType ElementType,
    IReadOnlyList<long> Dimensions,
    IReadOnlyList<string> SymbolicDimensions)
{
    public int Rank => Dimensions.Count;

    internal static OrtTensorInfo From(string name, NodeMetadata metadata) =>
        metadata.IsTensor
            ? new(name, true, metadata.ElementDataType, metadata.Dimensions.Select(d => (long)d).ToArray(), metadata.SymbolicDimensions)
            : new(name, false, TensorElementType.DataTypeMax, [], []);

    public override string ToString() =>
        IsTensor
            ? $"{Name}: {ElementType}[{string.Join(",", Dimensions.Select((d, i) => d >= 0 ? d.ToString() : SymbolicDimensions[i] is { Length: > 0 } s ? s : "?"))}]"
            : $"{Name}: (not a tensor)";
}
