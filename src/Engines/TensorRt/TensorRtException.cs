namespace ResShift.Engines.TensorRt;

/// <summary>A failed shim call: what we were doing and TensorRT's own logged error text.</summary>
public sealed class TensorRtException(string call, string nativeMessage)
    : Exception($"TensorRT: {call} failed" + (string.IsNullOrWhiteSpace(nativeMessage) ? "" : $": {nativeMessage}"))
{
    public string NativeMessage { get; } = nativeMessage;
}
