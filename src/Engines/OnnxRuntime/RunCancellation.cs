using ResShift.Engines.OnnxRuntime.Native;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// Per-run OrtRunOptions wired to a cancellation token: cancelling sets ORT's terminate flag so a long Run
/// stops between operators. Tokens that cannot be cancelled cost nothing (no run options at all).
/// </summary>
internal readonly struct RunCancellation : IDisposable
{
    private readonly CancellationToken _token;
    private readonly CancellationTokenRegistration _registration;

    private RunCancellation(CancellationToken token, OrtRunOptionsHandle? options, CancellationTokenRegistration registration)
    {
        _token = token;
        Options = options;
        _registration = registration;
    }

    public OrtRunOptionsHandle? Options { get; }

    public static RunCancellation Begin(CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        if (!token.CanBeCanceled)
            return default;

        var options = NativeMethods.CreateRunOptions();
        var registration = token.UnsafeRegister(static state => Terminate((OrtRunOptionsHandle)state!), options);
        return new RunCancellation(token, options, registration);
    }

    /// <summary>A Run that failed because we asked it to stop is a cancellation, not an engine error.</summary>
    public void ThrowIfCanceled(OnnxRuntimeException error)
    {
        if (_token.IsCancellationRequested)
            throw new OperationCanceledException($"ONNX Runtime run cancelled ({error.NativeMessage}).", error, _token);
    }

    public void Dispose()
    {
        // Unregistering waits for a callback already running, so the options are never released under it.
        _registration.Dispose();
        Options?.Dispose();
    }

    private static void Terminate(OrtRunOptionsHandle options)
    {
        try
        {
            NativeMethods.SetTerminate(options);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OnnxRuntimeException)
        {
            // The run already finished; nothing to stop.
        }
    }
}
