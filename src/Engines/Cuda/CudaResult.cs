namespace ResShift.Engines.Cuda;

/// <summary>CUresult codes we name without the driver (cuda.h, CUDA 12/13). Unknown codes still pass through as numbers.</summary>
public enum CudaResult
{
    Success = 0,
    InvalidValue = 1,
    OutOfMemory = 2,
    NotInitialized = 3,
    Deinitialized = 4,
    StubLibrary = 34,
    NoDevice = 100,
    InvalidDevice = 101,
    DeviceNotLicensed = 102,
    InvalidImage = 200,
    InvalidContext = 201,
    NoBinaryForGpu = 209,
    UnsupportedPtxVersion = 222,
    JitCompilerNotFound = 223,
    InvalidPtx = 218,
    InvalidSource = 300,
    FileNotFound = 301,
    InvalidHandle = 400,
    NotFound = 500,
    NotReady = 600,
    IllegalAddress = 700,
    LaunchOutOfResources = 701,
    LaunchTimeout = 702,
    LaunchFailed = 719,
    NotPermitted = 800,
    NotSupported = 801,
    StreamCaptureUnsupported = 900,
    Unknown = 999,
}

public static class CudaResultNames
{
    /// <summary>The cuda.h enumerator name; the driver's cuGetErrorName is preferred when the driver is loaded.</summary>
    public static string Name(int code) => (CudaResult)code switch
    {
        CudaResult.Success => "CUDA_SUCCESS",
        CudaResult.InvalidValue => "CUDA_ERROR_INVALID_VALUE",
        CudaResult.OutOfMemory => "CUDA_ERROR_OUT_OF_MEMORY",
        CudaResult.NotInitialized => "CUDA_ERROR_NOT_INITIALIZED",
        CudaResult.Deinitialized => "CUDA_ERROR_DEINITIALIZED",
        CudaResult.StubLibrary => "CUDA_ERROR_STUB_LIBRARY",
        CudaResult.NoDevice => "CUDA_ERROR_NO_DEVICE",
        CudaResult.InvalidDevice => "CUDA_ERROR_INVALID_DEVICE",
        CudaResult.DeviceNotLicensed => "CUDA_ERROR_DEVICE_NOT_LICENSED",
        CudaResult.InvalidImage => "CUDA_ERROR_INVALID_IMAGE",
        CudaResult.InvalidContext => "CUDA_ERROR_INVALID_CONTEXT",
        CudaResult.NoBinaryForGpu => "CUDA_ERROR_NO_BINARY_FOR_GPU",
        CudaResult.InvalidPtx => "CUDA_ERROR_INVALID_PTX",
        CudaResult.UnsupportedPtxVersion => "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        CudaResult.JitCompilerNotFound => "CUDA_ERROR_JIT_COMPILER_NOT_FOUND",
        CudaResult.InvalidSource => "CUDA_ERROR_INVALID_SOURCE",
        CudaResult.FileNotFound => "CUDA_ERROR_FILE_NOT_FOUND",
        CudaResult.InvalidHandle => "CUDA_ERROR_INVALID_HANDLE",
        CudaResult.NotFound => "CUDA_ERROR_NOT_FOUND",
        CudaResult.NotReady => "CUDA_ERROR_NOT_READY",
        CudaResult.IllegalAddress => "CUDA_ERROR_ILLEGAL_ADDRESS",
        CudaResult.LaunchOutOfResources => "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
        CudaResult.LaunchTimeout => "CUDA_ERROR_LAUNCH_TIMEOUT",
        CudaResult.LaunchFailed => "CUDA_ERROR_LAUNCH_FAILED",
        CudaResult.NotPermitted => "CUDA_ERROR_NOT_PERMITTED",
        CudaResult.NotSupported => "CUDA_ERROR_NOT_SUPPORTED",
        CudaResult.StreamCaptureUnsupported => "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
        CudaResult.Unknown => "CUDA_ERROR_UNKNOWN",
        _ => $"CUDA_ERROR_{code}",
    };
}
