using ResShift.Engines.OnnxRuntime;

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
        using var ta = OrtTensor.Over(new ReadOnlyMemory<float>(a), [n, 4]);
        using var tb = OrtTensor.Over(new ReadOnlyMemory<float>(b), [n, 4]);
        using var ty = OrtTensor.Over(new Memory<float>(y), [n, 3]);
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
    [InlineData(1, 1, GraphOptimizationLevel.DisableAll, false, false)]
    [InlineData(2, 1, GraphOptimizationLevel.Basic, true, false)]
    [InlineData(0, 2, GraphOptimizationLevel.All, true, true)]
    [InlineData(1, 0, GraphOptimizationLevel.Extended, false, true)]
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
        var x = new[] { (Half)0, (Half)1, (Half)(-1.5f), (Half)0.25f, (Half)3, (Half)(-0.75f) };
        var y = new Half[6];
        using var tx = OrtTensor.Over(new ReadOnlyMemory<Half>(x), [2, 3]);
        using var ty = OrtTensor.Over(new Memory<Half>(y), [2, 3]);
        session.Run(["x"], [tx], ["y"], [ty]);
        Assert.Equal(x.Select(v => (Half)((float)v * 2 + 0.5f)), y); // all exactly representable
    }

    [Fact]
    public void Int64_tensors_with_runtime_allocated_outputs()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [0, 1, -4, 1L << 40];
        using var ti = OrtTensor.Over(new ReadOnlyMemory<long>(input), [4]);
        using var inNames = OrtNames.Create("i");
        using var outNames = OrtNames.Create("y");
        var outputs = session.Run(inNames, [ti], outNames);
        using var y = Assert.Single(outputs);
        Assert.Equal(TensorElementType.Int64, y.ElementType);
        Assert.Equal([4L], y.Shape);
        Assert.Equal(input.Select(v => v * 3 + 10), y.ToArray<long>());
        Assert.Throws<InvalidOperationException>(() => y.ToArray<float>());
    }

    [Fact]
    public void Io_binding_runs_into_bound_output_memory()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"));
        var a = TestModels.Pattern(8, 7);
        var b = TestModels.Pattern(8, 8);
        var y = new float[6];
        using var ta = OrtTensor.Over(new ReadOnlyMemory<float>(a), [2, 4]);
        using var tb = OrtTensor.Over(new ReadOnlyMemory<float>(b), [2, 4]);
        using var ty = OrtTensor.Over(new Memory<float>(y), [2, 3]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("a", ta);
        binding.BindInput("b", tb);
        binding.BindOutput("y", ty);
        session.Run(binding);
        TestModels.AssertClose(AddMulMatMul(a, b, 2), y);

        // Same binding, new input values in the same pinned memory: no rebinding needed.
        TestModels.Pattern(8, 9).CopyTo(a, 0);
        session.Run(binding, new CancellationTokenSource().Token);
        TestModels.AssertClose(AddMulMatMul(a, b, 2), y);
        binding.Clear();
    }

    [Fact]
    public void Missing_model_file_error_names_the_path_and_carries_the_native_message()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-dir", "missing-model.onnx");
        var error = Assert.Throws<OnnxRuntimeException>(() => OrtSession.FromFile(path));
        Assert.Contains(path, error.Message);
        Assert.False(string.IsNullOrWhiteSpace(error.NativeMessage));
        Assert.Contains(error.NativeMessage, error.Message);
        Assert.Equal(OrtErrorCode.NoSuchFile, error.ErrorCode);
        Assert.Contains("ORT_NO_SUCHFILE", error.Message);
    }

    [Fact]
    public void Garbage_model_bytes_are_an_OnnxRuntimeException()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => OrtSession.FromBytes("not an onnx model"u8, null, "garbage"));
        Assert.Contains("garbage", error.Message);
        Assert.False(string.IsNullOrWhiteSpace(error.NativeMessage));
    }

    [Fact]
    public void Wrong_input_shape_is_reported_with_the_native_message()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"));
        var a = new float[10];
        var y = new float[6];
        using var ta = OrtTensor.Over(new ReadOnlyMemory<float>(a), [2, 5]);
        using var tb = OrtTensor.Over(new ReadOnlyMemory<float>(a), [2, 5]);
        using var ty = OrtTensor.Over(new Memory<float>(y), [2, 3]);
        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run(["a", "b"], [ta, tb], ["y"], [ty]));
        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("dimension", error.NativeMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("add_mul_matmul.onnx", error.Message);
    }

    [Fact]
    public void Unknown_input_name_is_reported_by_the_runtime()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [1];
        long[] output = [0];
        using var ti = OrtTensor.Over(new ReadOnlyMemory<long>(input), [1]);
        using var to = OrtTensor.Over(new Memory<long>(output), [1]);
        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run(["nope"], [ti], ["y"], [to]));
        Assert.Contains("nope", error.NativeMessage);
    }

    [Fact]
    public void Shape_must_match_the_buffer()
    {
        var data = new float[6];
        Assert.Throws<ArgumentException>(() => OrtTensor.Over(new Memory<float>(data), [2, 4]));
        Assert.Throws<ArgumentException>(() => OrtTensor.Over(new Memory<float>(data), [-1, 6]));
        Assert.Throws<NotSupportedException>(() => OrtTensor.Over(new Memory<double>(new double[1]), [1]));
    }

    [Fact]
    public void Name_and_tensor_counts_must_agree()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [1];
        using var ti = OrtTensor.Over(new ReadOnlyMemory<long>(input), [1]);
        Assert.Throws<ArgumentException>(() => session.Run(["i", "j"], [ti], ["y"], [ti]));
    }

    [Fact]
    public void Cancelled_token_stops_before_running()
    {
        using var session = OrtSession.FromFile(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [1];
        long[] output = [0];
        using var ti = OrtTensor.Over(new ReadOnlyMemory<long>(input), [1]);
        using var to = OrtTensor.Over(new Memory<long>(output), [1]);
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
    public void Use_after_dispose_throws_ObjectDisposedException()
    {
        var session = OrtSession.FromFile(TestModels.PathOf("int64_affine.onnx"));
        long[] input = [1];
        long[] output = [0];
        var ti = OrtTensor.Over(new ReadOnlyMemory<long>(input), [1]);
        using var to = OrtTensor.Over(new Memory<long>(output), [1]);
        session.Run(["i"], [ti], ["y"], [to]);
        Assert.Equal(13, output[0]);

        ti.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Run(["i"], [ti], ["y"], [to]));

        using var fresh = OrtTensor.Over(new ReadOnlyMemory<long>(input), [1]);
        session.Dispose();
        session.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => session.Run(["i"], [fresh], ["y"], [to]));
        Assert.Throws<ObjectDisposedException>(() => session.CreateIoBinding());
    }
}
