using ResShift.Engines.OnnxRuntime;
using ResShift.Engines.OnnxRuntime.Native;

namespace ResShift.Engines.Tests.OnnxRuntime;

/// <summary>
/// Checks that slots of the OrtApi table hold the functions we think they do, where ORT's own behaviour can
/// tell: a neighbouring slot would accept these arguments or fail with a different message.
/// </summary>
public class ApiTableTests
{
    [Fact]
    public void Graph_optimisation_level_slot_validates_its_argument()
    {
        using var options = NativeMethods.CreateSessionOptions();
        var error = Assert.Throws<OnnxRuntimeException>(() => NativeMethods.SetGraphOptimizationLevel(options, (GraphOptimizationLevel)(-1)));
        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("graph_optimization_level", error.NativeMessage);
    }

    [Fact]
    public void Execution_mode_slot_validates_its_argument()
    {
        using var options = NativeMethods.CreateSessionOptions();
        var error = Assert.Throws<OnnxRuntimeException>(() => NativeMethods.SetExecutionMode(options, (OrtExecutionMode)7));
        Assert.Contains("execution_mode", error.NativeMessage);
    }

    [Fact]
    public void Arena_config_slot_validates_the_extend_strategy()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => NativeMethods.RegisterSharedCpuArena(OrtEnvironment.Handle, OrtEnvironment.CpuMemory, extendStrategy: 7));
        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("configuration", error.Message);
    }

    [Fact]
    public void Register_allocator_slot_checks_its_memory_info()
    {
        using var none = new OrtMemoryInfoHandle(0); // a neighbouring slot would accept this or crash; the real one names it
        var error = Assert.Throws<OnnxRuntimeException>(() => NativeMethods.RegisterSharedCpuArena(OrtEnvironment.Handle, none));
        Assert.Contains("OrtMemoryInfo", error.NativeMessage);
    }

    [Fact]
    public unsafe void Terminate_flag_set_through_cancellation_stops_the_run()
    {
        using var options = NativeMethods.CreateSessionOptions();
        using var session = NativeMethods.CreateSession(OrtEnvironment.Handle, TestModels.PathOf("int64_affine.onnx"), options);
        using var inNames = OrtNames.Create("i");
        using var outNames = OrtNames.Create("y");
        long[] input = [1];
        long[] output = [0];
        using var ti = OrtTensor.Over(new ReadOnlyMemory<long>(input), [1]);
        using var to = OrtTensor.Over(new Memory<long>(output), [1]);

        using var cts = new CancellationTokenSource();
        using var cancellation = RunCancellation.Begin(cts.Token);
        cts.Cancel(); // runs RunOptionsSetTerminate on this thread

        var error = Assert.Throws<OnnxRuntimeException>(() =>
            NativeMethods.Run(session, cancellation.Options, inNames.Pointers, [ti.Handle], outNames.Pointers, [to.Handle], "terminated run"));
        Assert.Contains("terminate", error.NativeMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, output[0]);
        Assert.Throws<OperationCanceledException>(() => cancellation.ThrowIfCanceled(error));
    }
}
