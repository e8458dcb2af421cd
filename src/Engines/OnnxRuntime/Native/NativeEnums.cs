namespace ResShift.Engines.OnnxRuntime.Native;

/// <summary>ONNXType: what kind of value an input or output is.</summary>
internal enum OnnxValueKind
{
    Unknown = 0,
    Tensor = 1,
    Sequence = 2,
    Map = 3,
    Opaque = 4,
    SparseTensor = 5,
    Optional = 6,
}

internal enum OrtLoggingLevel
{
    Verbose = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    Fatal = 4,
}

internal enum OrtAllocatorType
{
    Device = 0,
    Arena = 1,
}

internal enum OrtMemType
{
    Default = 0,
}

internal enum OrtExecutionMode
{
    Sequential = 0,
    Parallel = 1,
}
