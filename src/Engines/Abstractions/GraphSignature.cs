namespace ResShift.Engines.Abstractions;

/// <summary>Element types a <see cref="IBatchedGraph"/> exchanges.</summary>
public enum GraphElementType
{
    Float32,
    Int64,
}

/// <summary>One named tensor of a graph: its element type and the shape of one batch item (no batch dimension).</summary>
public sealed record GraphTensor(string Name, GraphElementType ElementType, params long[] ItemShape)
{
    public int ItemElements => checked((int)ItemShape.Aggregate(1L, (a, d) => a * d));

    public override string ToString() => $"{Name}: {ElementType}[N{string.Concat(ItemShape.Select(d => "," + d))}]";
}

/// <summary>The inputs and outputs a graph must declare, in order.</summary>
public sealed record GraphSignature(string Role, IReadOnlyList<GraphTensor> Inputs, IReadOnlyList<GraphTensor> Outputs)
{
    public GraphTensor Input(string name) => Inputs.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"{Role} has no input '{name}'");

    public GraphTensor Output(string name) => Outputs.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"{Role} has no output '{name}'");
}

/// <summary>A named input buffer: float32 or int64.</summary>
public readonly struct GraphInput
{
    private GraphInput(string name, ReadOnlyMemory<float> floats, ReadOnlyMemory<long> longs, GraphElementType type)
    {
        Name = name;
        Floats = floats;
        Longs = longs;
        ElementType = type;
    }

    public string Name { get; }
    public GraphElementType ElementType { get; }
    public ReadOnlyMemory<float> Floats { get; }
    public ReadOnlyMemory<long> Longs { get; }
    public int Length => ElementType == GraphElementType.Float32 ? Floats.Length : Longs.Length;

    public static GraphInput Float32(string name, ReadOnlyMemory<float> data) => new(name, data, default, GraphElementType.Float32);

    public static GraphInput Int64(string name, ReadOnlyMemory<long> data) => new(name, default, data, GraphElementType.Int64);
}

/// <summary>A named float32 output buffer the engine writes in place.</summary>
public readonly record struct GraphOutput(string Name, Memory<float> Data);
