namespace ResShift.Engines.Cuda;

/// <summary>A CUresult other than CUDA_SUCCESS: its code, name and the driver's description, plus what we were doing.</summary>
public sealed class CudaException : Exception
{
    public CudaException(int code, string name, string description, string call)
        : base($"{call} failed: {name} ({code}): {description}")
    {
        Code = code;
        Name = name;
        Description = description;
        Call = call;
    }

    public int Code { get; }

    /// <summary>The cuda.h name, e.g. CUDA_ERROR_OUT_OF_MEMORY.</summary>
    public string Name { get; }

    public string Description { get; }

    /// <summary>The driver function that failed.</summary>
    public string Call { get; }
}

/// <summary>An NVRTC failure; for a failed compile <see cref="Log"/> holds the compiler's log.</summary>
public sealed class NvrtcException : Exception
{
    public NvrtcException(int code, string description, string call, string? log = null)
        : base($"{call} failed: NVRTC error {code}: {description}" + (string.IsNullOrWhiteSpace(log) ? "" : $"\ncompile log:\n{log}"))
    {
        Code = code;
        Log = log ?? "";
    }

    public int Code { get; }

    public string Log { get; }
}
