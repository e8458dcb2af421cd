namespace ResShift.Engines.TensorRt;

/// <summary>
/// `--engine tensorrt` (or `Engine: TensorRt`) cannot run here: no driver or GPU, no TensorRT or shim, or the
/// engines could not be built. The message says which; the service refuses to start rather than run on the CPU.
/// </summary>
public sealed class TensorRtUnavailableException(string reason, Exception? inner = null)
    : NotSupportedException($"--engine tensorrt is not available: {reason}", inner)
{
    public string Reason { get; } = reason;
}
