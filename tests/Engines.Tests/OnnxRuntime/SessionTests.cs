using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ResShift.Engines.OnnxRuntime;
using OnnxRuntimeException = ResShift.Engines.OnnxRuntime.OnnxRuntimeException;

namespace ResShift.Engines.Tests.OnnxRuntime;

public class SessionTests
{
    // add_mul_matmul.onnx: y = (a * b + a) @ W with W[k, j] = k + j; a, b: [N, 4]; y: [N, 3].
    private static float[] AddMulMatMul(float[] a, float[] b, int n)
    {
        var y = new float[n * 3];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < 3; j++)
                for (var k = 0; k < 4; k++)
                    y[i * 3 + j] += (a[i * 4 + k] * b[i * 4 + k] + a[i * 4 + k]) * (k + j);
        return y;
    }

    internal static float[] RunAddMulMatMul(OrtSession session, float[] a, float[] b, int n)
    {
        var y = new float[n * 3];
        using var ta = OrtTensors.Over(new ReadOnlyMemory<float>(a), n, 4);
        using var tb = OrtTensors.Over(new ReadOnlyMemory<float>(b), n, 4);
        using var ty = OrtTensors.Over(new Memory<float>(y), n, 3);
        session.Run(["a", "b"], [ta, tb], ["y"], [ty]);
        return y;
    }

    [Fact]
    public void Float_graph_with_dynamic_batch_matches_hand_computation()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"));
        foreach (var n in new[] { 1, 3 })
        {
            var a = TestModels.Pattern(n * 4, 1);
            var b = TestModels.Pattern(n * 4, 2);
            TestModels.AssertClose(AddMulMatMul(a, b, n), RunAddMulMatMul(session, a, b, n));
        }
    }

    [Fact]
    public void Reports_declared_inputs_and_outputs()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"));
        Assert.Equal(["a", "b"], session.Inputs.Select(i => i.Name));
        var a = session.Inputs[0];
        Assert.True(a.IsTensor);
        Assert.Equal(TensorElementType.Float, a.ElementType);
        Assert.Equal([-1L, 4L], a.Dimensions);
        Assert.Equal("N", a.SymbolicDimensions[0]);
        var y = Assert.Single(session.Outputs);
        Assert.Equal("y", y.Name);
        Assert.Equal([-1L, 3L], y.Dimensions);
        Assert.Equal("y: Float[N,3]", y.ToString());
    }

    [Fact]
    public void Session_from_bytes_behaves_like_session_from_file()
    {
        var bytes = File.ReadAllBytes(TestModels.PathOf("add_mul_matmul.onnx"));
        using var session = OrtSession.FromBytes(bytes, new OrtSessionSettings(), "add_mul_matmul bytes");
        var a = TestModels.Pattern(8, 3);
        var b = TestModels.Pattern(8, 4);
        TestModels.AssertClose(AddMulMatMul(a, b, 2), RunAddMulMatMul(session, a, b, 2));
    }

    [Theory]
    [InlineData(1, 1, GraphOptimizationLevel.ORT_DISABLE_ALL, false, false)]
    [InlineData(2, 1, GraphOptimizationLevel.ORT_ENABLE_BASIC, true, false)]
    [InlineData(0, 2, GraphOptimizationLevel.ORT_ENABLE_ALL, true, true)]
    [InlineData(1, 0, GraphOptimizationLevel.ORT_ENABLE_EXTENDED, false, true)]
    public void Session_settings_are_accepted_and_do_not_change_results(int intra, int inter, GraphOptimizationLevel level, bool arena, bool parallel)
    {
        var settings = new OrtSessionSettings
        {
            IntraOpThreads = intra, InterOpThreads = inter, OptimizationLevel = level, CpuMemArena = arena, ParallelExecution = parallel,
        };
        using var session = OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"), settings);
        var a = TestModels.Pattern(20, 5);
        var b = TestModels.Pattern(20, 6);
        TestModels.AssertClose(AddMulMatMul(a, b, 5), RunAddMulMatMul(session, a, b, 5));
    }

    [Fact]
    public void Negative_thread_count_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"), new OrtSessionSettings { IntraOpThreads = -1 }));
    }

    [Fact]
    public void Float16_tensors_round_trip()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("half_scale.onnx"));
        Assert.Equal(TensorElementType.Float16, session.Inputs[0].ElementType);
        float[] values = [0, 1, -1.5f, 0.25f, 3, -0.75f];
        var x = values.Select(v => (Float16)v).ToArray();
        var y = new Float16[6];
        using var tx = OrtTensors.Over(new ReadOnlyMemory<Float16>(x), 2, 3);
        using var ty = OrtTensors.Over(new Memory<Float16>(y), 2, 3);
        session.Run(["x"], [tx], ["y"], [ty]);
        Assert.Equal(values.Select(v => v * 2 + 0.5f), y.Select(v => v.ToFloat())); // all exactly representable
    }

    [Fact]
    public void Int64_tensors_with_runtime_allocated_outputs()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [0, 1, -4, 1L << 40];
        using var ti = OrtTensors.Over(new ReadOnlyMemory<long>(input), 4);
        using var outputs = session.Run(["i"], [ti], ["y"]);
        var y = Assert.Single(outputs);
        var shape = y.GetTensorTypeAndShape();
        Assert.Equal(TensorElementType.Int64, shape.ElementDataType);
        Assert.Equal([4L], shape.Shape);
        Assert.Equal(input.Select(v => v * 3 + 10), y.GetTensorDataAsSpan<long>().ToArray());
    }

    [Fact]
    public void Missing_model_file_error_names_the_path_and_carries_the_native_message()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-dir", "missing-model.onnx");
        var error = Assert.Throws<OnnxRuntimeException>(() => OrtSession.FromFile(path));
        Assert.Contains(path, error.Message);
        Assert.False(string.IsNullOrWhiteSpace(error.NativeMessage));
        Assert.Contains(error.NativeMessage, error.Message);
        Assert.Equal("NoSuchFile", error.ErrorCode);
    }

    [Fact]
    public void Garbage_model_bytes_are_an_OnnxRuntimeException()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => OrtSession.FromBytes("not an onnx model"u8.ToArray(), null, "garbage"));
        Assert.Contains("garbage", error.Message);
        Assert.False(string.IsNullOrWhiteSpace(error.NativeMessage));
    }

    [Fact]
    public void Wrong_input_shape_is_reported_with_the_native_message()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"));
        var a = new float[10];
        var y = new float[6];
        using var ta = OrtTensors.Over(new ReadOnlyMemory<float>(a), [2, 5]);
        using var tb = OrtTensors.Over(new ReadOnlyMemory<float>(a), [2, 5]);
        using var ty = OrtTensors.Over(new Memory<float>(y), [2, 3]);
        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run(["a", "b"], [ta, tb], ["y"], [ty]));
        Assert.Equal("InvalidArgument", error.ErrorCode);
        Assert.Contains("dimension", error.NativeMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("add_mul_matmul.onnx", error.Message);
    }

    [Fact]
    public void Unknown_input_name_is_reported_by_the_runtime()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [1];
        long[] output = [0];
        using var ti = OrtTensors.Over(new ReadOnlyMemory<long>(input), 1);
        using var to = OrtTensors.Over(new Memory<long>(output), 1);
        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run(["nope"], [ti], ["y"], [to]));
        Assert.Contains("nope", error.NativeMessage);
    }

    [Fact]
    public void Shape_must_match_the_buffer()
    {
        var data = new float[6];
        Assert.Throws<ArgumentException>(() => OrtTensors.Over(new Memory<float>(data), 2, 4));
        Assert.Throws<ArgumentException>(() => OrtTensors.Over(new Memory<float>(data), -1, 6));
    }

    [Fact]
    public void Name_and_tensor_counts_must_agree()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [1];
        using var ti = OrtTensors.Over(new ReadOnlyMemory<long>(input), 1);
        Assert.Throws<ArgumentException>(() => session.Run(["i", "j"], [ti], ["y"], [ti]));
    }

    [Fact]
    public void Cancelled_token_stops_before_running()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [1];
        long[] output = [0];
        using var ti = OrtTensors.Over(new ReadOnlyMemory<long>(input), 1);
        using var to = OrtTensors.Over(new Memory<long>(output), 1);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => session.Run(["i"], [ti], ["y"], [to], cts.Token));
        Assert.Equal(0, output[0]);

        // A live but uncancelled token goes through the run-options path and still works.
        using var live = new CancellationTokenSource();
        session.Run(["i"], [ti], ["y"], [to], live.Token);
        Assert.Equal(13, output[0]);
    }

    [Fact]
    public void Cancelling_sets_the_terminate_flag_and_the_run_reports_a_cancellation()
    {
        _ = OrtRuntime.Version; // the shared environment first
        using var session = new InferenceSession(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [1];
        long[] output = [0];
        using var ti = OrtTensors.Over(new ReadOnlyMemory<long>(input), 1);
        using var to = OrtTensors.Over(new Memory<long>(output), 1);

        using var cts = new CancellationTokenSource();
        using var cancellation = RunCancellation.Begin(cts.Token);
        Assert.False(cancellation.Options.Terminate);
        cts.Cancel(); // the registration sets RunOptions.Terminate on this thread
        Assert.True(cancellation.Options.Terminate);

        var error = Assert.Throws<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(() =>
            session.Run(cancellation.Options, ["i"], [ti], ["y"], [to]));
        Assert.Contains("terminate", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, output[0]);
        Assert.Throws<OperationCanceledException>(() => cancellation.ThrowIfCanceled(error));
    }

    [Fact]
    public void Use_after_dispose_throws_ObjectDisposedException()
    {
        var session = OrtSession.FromFile(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [1];
        long[] output = [0];
        using var ti = OrtTensors.Over(new ReadOnlyMemory<long>(input), 1);
        using var to = OrtTensors.Over(new Memory<long>(output), 1);
        session.Run(["i"], [ti], ["y"], [to]);
        Assert.Equal(13, output[0]);

        using var fresh = OrtTensors.Over(new ReadOnlyMemory<long>(input), 1);
        session.Dispose();
        session.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => session.Run(["i"], [fresh], ["y"], [to]));
    }
}
