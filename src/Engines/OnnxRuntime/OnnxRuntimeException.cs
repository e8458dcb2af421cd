namespace ResShift.Engines.OnnxRuntime;

/// <summary>A non-null OrtStatus from ONNX Runtime: its error code and the native message, plus what we were doing.</summary>
public sealed class OnnxRuntimeException : Exception
{
    public OnnxRuntimeException(OrtErrorCode errorCode, string nativeMessage, string? context = null)
        : base(Format(errorCode, nativeMessage, context))
    {
        ErrorCode = errorCode;
        NativeMessage = nativeMessage;
    }

    public OrtErrorCode ErrorCode { get; }

    /// <summary>The C enum name, e.g. ORT_NO_SUCHFILE; codes newer than this binding read ORT_ERROR_&lt;n&gt;.</summary>
    public string ErrorCodeName => CodeName(ErrorCode);

    /// <summary>The message exactly as ONNX Runtime reported it.</summary>
    public string NativeMessage { get; }

    public static string CodeName(OrtErrorCode code) => code switch
    {
        OrtErrorCode.Ok => "ORT_OK",
        OrtErrorCode.Fail => "ORT_FAIL",
        OrtErrorCode.InvalidArgument => "ORT_INVALID_ARGUMENT",
        OrtErrorCode.NoSuchFile => "ORT_NO_SUCHFILE",
        OrtErrorCode.NoModel => "ORT_NO_MODEL",
        OrtErrorCode.EngineError => "ORT_ENGINE_ERROR",
        OrtErrorCode.RuntimeException => "ORT_RUNTIME_EXCEPTION",
        OrtErrorCode.InvalidProtobuf => "ORT_INVALID_PROTOBUF",
        OrtErrorCode.ModelLoaded => "ORT_MODEL_LOADED",
        OrtErrorCode.NotImplemented => "ORT_NOT_IMPLEMENTED",
        OrtErrorCode.InvalidGraph => "ORT_INVALID_GRAPH",
        OrtErrorCode.EpFail => "ORT_EP_FAIL",
        _ => $"ORT_ERROR_{(int)code}",
    };

    private static string Format(OrtErrorCode code, string nativeMessage, string? context) =>
        context is null ? $"{CodeName(code)}: {nativeMessage}" : $"{context}: {CodeName(code)}: {nativeMessage}";
}
