using Microsoft.ML.OnnxRuntime;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// Per-run RunOptions wired to a cancellation token: cancelling sets <see cref="RunOptions.Terminate"/> so a long
/// Run stops between operators. Tokens that cannot be cancelled share one plain RunOptions (nothing to set).
/// </summary>
internal readonly struct RunCancellation : IDisposable
{
    private static readonly Lazy<RunOptions> Plain = new(() =>
    {
        _ = OrtEnvironment.Instance;
        return new RunOptions();
    });

    private readonly CancellationToken _token;
    private readonly CancellationTokenRegistration _registration;
    private readonly bool _owned;

    private RunCancellation(CancellationToken token, RunOptions options, CancellationTokenRegistration registration, bool owned)
    {
        _token = token;
        Options = options;
        _registration = registration;
        _owned = owned;
    }

    public RunOptions Options { get; }

    public static RunCancellation Begin(CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        if (!token.CanBeCanceled)
            return new RunCancellation(token, Plain.Value, default, owned: false);

        var options = new RunOptions();
        var registration = token.UnsafeRegister(static state => ((RunOptions)state!).Terminate = true, options);
        return new RunCancellation(token, options, registration, owned: true);
    }

    /// <summary>A Run that failed because we asked it to stop is a cancellation, not an engine error.</summary>
    public void ThrowIfCanceled(Exception error)
    {
        if (_token.IsCancellationRequested)
            throw new OperationCanceledException($"ONNX Runtime run cancelled ({error.Message}).", error, _token);
    }

    public void Dispose()
    {
        // Unregistering waits for a callback already running, so the options are never released under it.
        _registration.Dispose();
        if (_owned)
            Options.Dispose();
    }
}
