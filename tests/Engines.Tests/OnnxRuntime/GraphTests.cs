using ResShift.Engines.Abstractions;
using ResShift.Engines.OnnxRuntime;

namespace ResShift.Engines.Tests.OnnxRuntime;

/// <summary>One graph behind the engine contract with named inputs and a dynamic batch (IBatchedGraph).</summary>
public class GraphTests
{
    private static readonly GraphSignature AddMulMatMul = new("test graph",
        [new GraphTensor("a", GraphElementType.Float32, 4), new GraphTensor("b", GraphElementType.Float32, 4)],
        [new GraphTensor("y", GraphElementType.Float32, 3)]);

    [Fact]
    public void Runs_named_inputs_in_any_order_over_the_batch_prefix_of_larger_buffers()
    {
        using var graph = new OnnxRuntimeGraph(TestModels.PathOf("add_mul_matmul.onnx"), AddMulMatMul, maxBatch: 4);
        float[] a = TestModels.Pattern(16, 1), b = TestModels.Pattern(16, 2);
        float[] y = new float[12];
        graph.Run(2, [GraphInput.Float32("b", b), GraphInput.Float32("a", a)], [new GraphOutput("y", y)], CancellationToken.None);

        using var session = OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"));
        float[] expected = SessionTests.RunAddMulMatMul(session, a[..8], b[..8], 2);
        Assert.Equal(expected, y[..6]);
        Assert.All(y[6..], v => Assert.Equal(0f, v)); // only the batch's prefix is written
    }

    [Fact]
    public void A_graph_that_does_not_declare_the_signature_is_refused_at_load_naming_the_file()
    {
        var wrong = new GraphSignature("test graph",
            [new GraphTensor("a", GraphElementType.Float32, 5), new GraphTensor("c", GraphElementType.Int64)],
            [new GraphTensor("y", GraphElementType.Float32, 3)]);
        var error = Assert.Throws<ModelContractException>(() => new OnnxRuntimeGraph(TestModels.PathOf("add_mul_matmul.onnx"), wrong, 4));
        Assert.Contains("add_mul_matmul.onnx", error.Message);
        Assert.Contains("input 'a' dimension 1 is 4, expected 5", error.Message);
        Assert.Contains("missing input 'c'", error.Message);
        Assert.Contains("unexpected input 'b'", error.Message);
    }

    [Fact]
    public void Bad_batch_missing_names_wrong_types_and_short_buffers_are_argument_errors()
    {
        using var graph = new OnnxRuntimeGraph(TestModels.PathOf("add_mul_matmul.onnx"), AddMulMatMul, maxBatch: 2);
        float[] a = new float[8], y = new float[6];
        GraphOutput[] outs = [new GraphOutput("y", y)];
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.Run(3, [GraphInput.Float32("a", a), GraphInput.Float32("b", a)], outs, CancellationToken.None));
        Assert.Contains("'b'", Assert.Throws<ArgumentException>(() => graph.Run(1, [GraphInput.Float32("a", a)], outs, CancellationToken.None)).Message);
        Assert.Throws<ArgumentException>(() => graph.Run(1, [GraphInput.Float32("a", a), GraphInput.Int64("b", new long[4])], outs, CancellationToken.None));
        Assert.Throws<ArgumentException>(() => graph.Run(2, [GraphInput.Float32("a", a), GraphInput.Float32("b", a[..7])], outs, CancellationToken.None));
    }

    [Fact]
    public void A_cancelled_token_stops_the_run()
    {
        using var graph = new OnnxRuntimeGraph(TestModels.PathOf("add_mul_matmul.onnx"), AddMulMatMul, maxBatch: 1);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        float[] a = new float[4], y = new float[3];
        Assert.ThrowsAny<OperationCanceledException>(() =>
            graph.Run(1, [GraphInput.Float32("a", a), GraphInput.Float32("b", a)], [new GraphOutput("y", y)], cts.Token));
    }
}
