using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ResShift.Engines.Abstractions;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// A single graph on ONNX Runtime's CPU provider behind <see cref="IBatchedGraph"/>: checked at load against its
/// signature (names, element types, fixed item dimensions, dynamic batch), run zero-copy over the caller's
/// buffers. Thread safety: concurrent runs are allowed, as for <see cref="OrtSession"/>.
/// </summary>
public sealed class OnnxRuntimeGraph : IBatchedGraph
{
    private readonly OrtSession _session;
    private readonly string[] _inputNames, _outputNames;

    public OnnxRuntimeGraph(string path, GraphSignature signature, int maxBatch, OrtSessionSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        Signature = signature;
        MaxBatch = maxBatch;
        _inputNames = signature.Inputs.Select(i => i.Name).ToArray();
        _outputNames = signature.Outputs.Select(o => o.Name).ToArray();
        _session = OrtSession.FromFile(path, settings);
        try
        {
            GraphContractValidator.Validate(ContractOf(signature), _session, maxBatch);
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    public GraphSignature Signature { get; }
    public int MaxBatch { get; }
    public string Device => "cpu";
    public string EngineName => "onnxruntime-cpu";

    public void Run(int batch, IReadOnlyList<GraphInput> inputs, IReadOnlyList<GraphOutput> outputs, CancellationToken cancellationToken)
    {
        if (batch < 1 || batch > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"Batch must be 1..{MaxBatch}.");
        var values = new List<OrtValue>(_inputNames.Length + _outputNames.Length);
        try
        {
            var ins = new OrtValue[_inputNames.Length];
            for (int i = 0; i < ins.Length; i++)
            {
                GraphTensor want = Signature.Inputs[i];
                GraphInput have = Find(inputs, want.Name, static x => x.Name);
                if (have.ElementType != want.ElementType)
                    throw new ArgumentException($"{Signature.Role} input '{want.Name}' is {want.ElementType}, got {have.ElementType}");
                int n = Needed(want, batch, have.Length, "input");
                ins[i] = have.ElementType == GraphElementType.Float32
                    ? OrtTensors.Over(have.Floats[..n], Shape(want, batch))
                    : OrtTensors.Over(have.Longs[..n], Shape(want, batch));
                values.Add(ins[i]);
            }
            var outs = new OrtValue[_outputNames.Length];
            for (int i = 0; i < outs.Length; i++)
            {
                GraphTensor want = Signature.Outputs[i];
                GraphOutput have = Find(outputs, want.Name, static x => x.Name);
                int n = Needed(want, batch, have.Data.Length, "output");
                outs[i] = OrtTensors.Over(have.Data[..n], Shape(want, batch));
                values.Add(outs[i]);
            }
            _session.Run(_inputNames, ins, _outputNames, outs, cancellationToken);
        }
        finally
        {
            foreach (OrtValue v in values)
                v.Dispose();
        }
    }

    public void Dispose() => _session.Dispose();

    private T Find<T>(IReadOnlyList<T> items, string name, Func<T, string> nameOf)
    {
        foreach (T item in items)
            if (nameOf(item) == name)
                return item;
        throw new ArgumentException($"{Signature.Role}: no buffer named '{name}' (the graph takes {string.Join(", ", Signature.Inputs)}; gives {string.Join(", ", Signature.Outputs)})");
    }

    private int Needed(GraphTensor tensor, int batch, int length, string what)
    {
        int n = batch * tensor.ItemElements;
        return length >= n ? n : throw new ArgumentException($"{Signature.Role} {what} '{tensor.Name}' holds {length} values; a batch of {batch} needs {n}.");
    }

    private static long[] Shape(GraphTensor tensor, int batch) => [batch, .. tensor.ItemShape];

    private static GraphContract ContractOf(GraphSignature s) => new(s.Role,
        s.Inputs.Select(Contract).ToArray(), s.Outputs.Select(Contract).ToArray());

    private static TensorContract Contract(GraphTensor t) =>
        new(t.Name, t.ElementType == GraphElementType.Int64 ? TensorElementType.Int64 : TensorElementType.Float, [-1, .. t.ItemShape]);
}
