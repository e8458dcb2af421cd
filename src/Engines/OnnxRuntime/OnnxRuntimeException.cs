using System.Text.RegularExpressions;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// An error from ONNX Runtime with what we were doing (which model file, which run) in front of ORT's own
/// message. The official exception is the inner one; <see cref="ErrorCode"/> is ORT's code name
/// ("NoSuchFile", "InvalidArgument", ...) as the C# API prints it, or "Unknown".
/// </summary>
public sealed partial class OnnxRuntimeException : Exception
{
    public OnnxRuntimeException(string context, Microsoft.ML.OnnxRuntime.OnnxRuntimeException inner)
        : base($"{context}: {inner.Message}", inner)
    {
        var match = CodePrefix().Match(inner.Message);
        ErrorCode = match.Success ? match.Groups[1].Value : "Unknown";
        NativeMessage = match.Success ? inner.Message[match.Length..].Trim() : inner.Message;
    }

    public string ErrorCode { get; }

    /// <summary>ORT's message without the code prefix.</summary>
    public string NativeMessage { get; }

    [GeneratedRegex(@"^\[ErrorCode:(\w+)\]")]
    private static partial Regex CodePrefix();
}
