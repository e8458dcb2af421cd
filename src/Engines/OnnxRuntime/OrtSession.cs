using ResShift.Engines.OnnxRuntime.Native;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// One loaded ONNX graph. Thread safety: ONNX Runtime allows concurrent Run calls on one session, and so does
/// this class (each call brings its own tensors); disposing while runs are in flight is safe too: the native
/// session is released when the last of them returns, and new calls get <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class OrtSession : IDisposable
{
    private readonly OrtSessionHandle _handle;
    private readonly string _runContext;

    private OrtSession(OrtSessionHandle handle, string source)
    {
        _handle = handle;
        Source = source;
        _runContext = $"Running {source}";
        try
        {
            Inputs = Enumerable.Range(0, NativeMethods.SessionInputCount(handle)).Select(i => NativeMethods.SessionInputInfo(handle, i)).ToArray();
            Outputs = Enumerable.Range(0, NativeMethods.SessionOutputCount(handle)).Select(i => NativeMethods.SessionOutputInfo(handle, i)).ToArray();
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The model file, or a description for in-memory models; used in error messages.</summary>
    public string Source { get; }

    public IReadOnlyList<OrtTensorInfo> Inputs { get; }

    public IReadOnlyList<OrtTensorInfo> Outputs { get; }

    public static OrtSession FromFile(string path, OrtSessionSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        using var options = (settings ?? new OrtSessionSettings()).CreateHandle();
        return new OrtSession(NativeMethods.CreateSession(OrtEnvironment.Handle, fullPath, options), $"model '{fullPath}'");
    }

    public static OrtSession FromBytes(ReadOnlySpan<byte> model, OrtSessionSettings? settings = null, string description = "in-memory model")
    {
        using var options = (settings ?? new OrtSessionSettings()).CreateHandle();
        return new OrtSession(NativeMethods.CreateSessionFromArray(OrtEnvironment.Handle, model, options, description), description);
    }

    /// <summary>
    /// Runs with caller-made output tensors: ORT writes results straight into their memory, no copies.
    /// Names are pre-encoded (<see cref="OrtNames"/>) so this path does no string work.
    /// </summary>
    public unsafe void Run(OrtNames inputNames, ReadOnlySpan<OrtTensor> inputs, OrtNames outputNames, ReadOnlySpan<OrtTensor> outputs,
        CancellationToken cancellationToken = default)
    {
        CheckCount(inputNames, inputs.Length, "input");
        CheckCount(outputNames, outputs.Length, "output");
        using var cancellation = RunCancellation.Begin(cancellationToken);
        using var inNames = new HandleLease(inputNames);
        using var outNames = new HandleLease(outputNames);
        try
        {
            NativeMethods.Run(_handle, cancellation.Options, inputNames.Pointers, HandlesOf(inputs), outputNames.Pointers, HandlesOf(outputs), _runContext);
        }
        catch (OnnxRuntimeException error)
        {
            cancellation.ThrowIfCanceled(error);
            throw;
        }
    }

    /// <summary>Runs and lets ORT allocate the outputs (shapes it decides); the caller disposes them.</summary>
    public unsafe OrtTensor[] Run(OrtNames inputNames, ReadOnlySpan<OrtTensor> inputs, OrtNames outputNames, CancellationToken cancellationToken = default)
    {
        CheckCount(inputNames, inputs.Length, "input");
        using var cancellation = RunCancellation.Begin(cancellationToken);
        using var inNames = new HandleLease(inputNames);
        using var outNames = new HandleLease(outputNames);
        OrtValueHandle[] values;
        try
        {
            values = NativeMethods.RunAllocatingOutputs(_handle, cancellation.Options, inputNames.Pointers, HandlesOf(inputs), outputNames.Pointers, outputNames.Count, _runContext);
        }
        catch (OnnxRuntimeException error)
        {
            cancellation.ThrowIfCanceled(error);
            throw;
        }
        return values.Select(OrtTensor.FromOwned).ToArray();
    }

    /// <summary>Convenience for callers that run rarely; hot paths keep their <see cref="OrtNames"/>.</summary>
    public void Run(string[] inputNames, ReadOnlySpan<OrtTensor> inputs, string[] outputNames, ReadOnlySpan<OrtTensor> outputs,
        CancellationToken cancellationToken = default)
    {
        using var ins = OrtNames.Create(inputNames);
        using var outs = OrtNames.Create(outputNames);
        Run(ins, inputs, outs, outputs, cancellationToken);
    }

    public OrtIoBinding CreateIoBinding() => new(NativeMethods.CreateIoBinding(_handle));

    /// <summary>Runs with the tensors bound to <paramref name="binding"/> (outputs written in place).</summary>
    public void Run(OrtIoBinding binding, CancellationToken cancellationToken = default)
    {
        using var cancellation = RunCancellation.Begin(cancellationToken);
        // RunWithBinding wants run options even when there is nothing to cancel.
        using var fallback = cancellation.Options is null ? NativeMethods.CreateRunOptions() : null;
        try
        {
            NativeMethods.RunWithBinding(_handle, cancellation.Options ?? fallback!, binding.Handle, _runContext);
        }
        catch (OnnxRuntimeException error)
        {
            cancellation.ThrowIfCanceled(error);
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    private static OrtValueHandle[] HandlesOf(ReadOnlySpan<OrtTensor> tensors)
    {
        var handles = new OrtValueHandle[tensors.Length];
        for (var i = 0; i < tensors.Length; i++)
            handles[i] = tensors[i].Handle;
        return handles;
    }

    private void CheckCount(OrtNames names, int tensors, string what)
    {
        if (names.Count != tensors)
            throw new ArgumentException($"{Source}: {names.Count} {what} names ({names}) but {tensors} {what} tensors.");
    }

    public override string ToString() =>
        $"{Source}: inputs [{string.Join("; ", Inputs)}], outputs [{string.Join("; ", Outputs)}]";
}
