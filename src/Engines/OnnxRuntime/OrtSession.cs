using Microsoft.ML.OnnxRuntime;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// One loaded ONNX graph on the official <see cref="InferenceSession"/>, in the shared environment, with what we
/// add: errors that name the model file, cancellation through <see cref="RunOptions.Terminate"/>, and the
/// declared inputs/outputs as <see cref="OrtTensorInfo"/> for the contract check at load.
/// Thread safety: ONNX Runtime allows concurrent Run calls on one session, and so does this class (each call
/// brings its own tensors). Disposing while runs are in flight is safe: the native session is released when the
/// last of them returns, and new calls get <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class OrtSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _runContext;
    private readonly object _gate = new();
    private int _runs;
    private bool _disposed;

    private OrtSession(InferenceSession session, string source)
    {
        _session = session;
        Source = source;
        _runContext = $"Running {source}";
        Inputs = session.InputNames.Select(n => OrtTensorInfo.From(n, session.InputMetadata[n])).ToArray();
        Outputs = session.OutputNames.Select(n => OrtTensorInfo.From(n, session.OutputMetadata[n])).ToArray();
    }

    /// <summary>The model file, or a description for in-memory models; used in error messages.</summary>
    public string Source { get; }

    public IReadOnlyList<OrtTensorInfo> Inputs { get; }

    public IReadOnlyList<OrtTensorInfo> Outputs { get; }

    public static OrtSession FromFile(string path, OrtSessionSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var source = $"model '{fullPath}'";
        return Create(source, options => new InferenceSession(fullPath, options), settings);
    }

    public static OrtSession FromBytes(byte[] model, OrtSessionSettings? settings = null, string description = "in-memory model") =>
        Create(description, options => new InferenceSession(model, options), settings);

    private static OrtSession Create(string source, Func<SessionOptions, InferenceSession> open, OrtSessionSettings? settings)
    {
        _ = OrtEnvironment.Instance; // the shared environment and arena exist before any session
        using var options = (settings ?? new OrtSessionSettings()).CreateOptions();
        InferenceSession session;
        try
        {
            session = open(options);
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException error)
        {
            throw new OnnxRuntimeException($"Loading {source}", error);
        }
        try
        {
            return new OrtSession(session, source);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Runs with caller-made output tensors: ORT writes results straight into their memory, no copies.</summary>
    public void Run(IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs,
        IReadOnlyCollection<string> outputNames, IReadOnlyCollection<OrtValue> outputs, CancellationToken cancellationToken = default)
    {
        CheckCount(inputNames, inputs.Count, "input");
        CheckCount(outputNames, outputs.Count, "output");
        Guarded(options => _session.Run(options, inputNames, inputs, outputNames, outputs), cancellationToken);
    }

    /// <summary>Runs and lets ORT allocate the outputs (shapes it decides); the caller disposes them.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs,
        IReadOnlyCollection<string> outputNames, CancellationToken cancellationToken = default)
    {
        CheckCount(inputNames, inputs.Count, "input");
        IDisposableReadOnlyCollection<OrtValue>? results = null;
        Guarded(options => results = _session.Run(options, inputNames, inputs, outputNames), cancellationToken);
        return results!;
    }

    private void Guarded(Action<RunOptions> run, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            using var cancellation = RunCancellation.Begin(cancellationToken);
            try
            {
                run(cancellation.Options);
            }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException error)
            {
                cancellation.ThrowIfCanceled(error);
                throw new OnnxRuntimeException(_runContext, error);
            }
        }
        finally
        {
            Exit();
        }
    }

    private void Enter()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _runs++;
        }
    }

    private void Exit()
    {
        bool release;
        lock (_gate)
            release = --_runs == 0 && _disposed;
        if (release)
            _session.Dispose();
    }

    public void Dispose()
    {
        bool release;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            release = _runs == 0;
        }
        if (release)
            _session.Dispose();
    }

    private void CheckCount(IReadOnlyCollection<string> names, int tensors, string what)
    {
        if (names.Count != tensors)
            throw new ArgumentException($"{Source}: {names.Count} {what} names ({string.Join(", ", names)}) but {tensors} {what} tensors.");
    }

    public override string ToString() =>
        $"{Source}: inputs [{string.Join("; ", Inputs)}], outputs [{string.Join("; ", Outputs)}]";
}
