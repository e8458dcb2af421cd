namespace ResShift.Engines.OnnxRuntime.Native;

/// <summary>
/// Typed views of the OrtApi slots this binding calls, read once from the table <c>GetApi</c> returns.
/// Every pointer argument is an opaque ORT object (nint) or plain memory; OrtStatus* comes back as nint
/// (zero means success). Only <see cref="NativeMethods"/> calls through these.
/// </summary>
internal sealed unsafe class OrtFunctions
{
    public readonly delegate* unmanaged[Cdecl]<nint, int> GetErrorCode;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*> GetErrorMessage;
    public readonly delegate* unmanaged[Cdecl]<int, byte*, nint*, nint> CreateEnv;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, nint, nint*, nint> CreateSession;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint> Run;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateSessionOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionExecutionMode;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, nint> EnableProfiling;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint> AddSessionConfigEntry;
    public readonly delegate* unmanaged[Cdecl]<nuint, int, int, int, nint*, nint> CreateArenaCfg;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseArenaCfg;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint, nint> CreateAndRegisterAllocator;
    public readonly delegate* unmanaged[Cdecl]<nint, nint> EnableMemPattern;
    public readonly delegate* unmanaged[Cdecl]<nint, nint> DisableMemPattern;
    public readonly delegate* unmanaged[Cdecl]<nint, nint> EnableCpuMemArena;
    public readonly delegate* unmanaged[Cdecl]<nint, nint> DisableCpuMemArena;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetIntraOpNumThreads;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetInterOpNumThreads;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetInputCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetOutputCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetInputTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetInputName;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateRunOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, nint> RunOptionsSetTerminate;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void**, nint> GetTensorMutableData;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetOnnxTypeFromTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetTensorElementType;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetDimensionsCount;
    public readonly delegate* unmanaged[Cdecl]<nint, long*, nuint, nint> GetDimensions;
    public readonly delegate* unmanaged[Cdecl]<nint, byte**, nuint, nint> GetSymbolicDimensions;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> GetTensorTypeAndShape;
    public readonly delegate* unmanaged[Cdecl]<int, int, nint*, nint> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nint> AllocatorFree;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> GetAllocatorWithDefaultOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseEnv;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseStatus;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSession;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseRunOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSessionOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint, nint> RunWithBinding;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> CreateIoBinding;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseIoBinding;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, nint, nint> BindInput;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, nint, nint> BindOutput;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ClearBoundInputs;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ClearBoundOutputs;

    public OrtFunctions(nint* api)
    {
        GetErrorCode = (delegate* unmanaged[Cdecl]<nint, int>)api[OrtApiSlot.GetErrorCode];
        GetErrorMessage = (delegate* unmanaged[Cdecl]<nint, byte*>)api[OrtApiSlot.GetErrorMessage];
        CreateEnv = (delegate* unmanaged[Cdecl]<int, byte*, nint*, nint>)api[OrtApiSlot.CreateEnv];
        CreateSession = (delegate* unmanaged[Cdecl]<nint, byte*, nint, nint*, nint>)api[OrtApiSlot.CreateSession];
        CreateSessionFromArray = (delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint>)api[OrtApiSlot.CreateSessionFromArray];
        Run = (delegate* unmanaged[Cdecl]<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)api[OrtApiSlot.Run];
        CreateSessionOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)api[OrtApiSlot.CreateSessionOptions];
        SetSessionExecutionMode = (delegate* unmanaged[Cdecl]<nint, int, nint>)api[OrtApiSlot.SetSessionExecutionMode];
        EnableProfiling = (delegate* unmanaged[Cdecl]<nint, byte*, nint>)api[OrtApiSlot.EnableProfiling];
        AddSessionConfigEntry = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint>)api[OrtApiSlot.AddSessionConfigEntry];
        CreateArenaCfg = (delegate* unmanaged[Cdecl]<nuint, int, int, int, nint*, nint>)api[OrtApiSlot.CreateArenaCfg];
        ReleaseArenaCfg = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseArenaCfg];
        CreateAndRegisterAllocator = (delegate* unmanaged[Cdecl]<nint, nint, nint, nint>)api[OrtApiSlot.CreateAndRegisterAllocator];
        EnableMemPattern = (delegate* unmanaged[Cdecl]<nint, nint>)api[OrtApiSlot.EnableMemPattern];
        DisableMemPattern = (delegate* unmanaged[Cdecl]<nint, nint>)api[OrtApiSlot.DisableMemPattern];
        EnableCpuMemArena = (delegate* unmanaged[Cdecl]<nint, nint>)api[OrtApiSlot.EnableCpuMemArena];
        DisableCpuMemArena = (delegate* unmanaged[Cdecl]<nint, nint>)api[OrtApiSlot.DisableCpuMemArena];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged[Cdecl]<nint, int, nint>)api[OrtApiSlot.SetSessionGraphOptimizationLevel];
        SetIntraOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)api[OrtApiSlot.SetIntraOpNumThreads];
        SetInterOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)api[OrtApiSlot.SetInterOpNumThreads];
        SessionGetInputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)api[OrtApiSlot.SessionGetInputCount];
        SessionGetOutputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)api[OrtApiSlot.SessionGetOutputCount];
        SessionGetInputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)api[OrtApiSlot.SessionGetInputTypeInfo];
        SessionGetOutputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)api[OrtApiSlot.SessionGetOutputTypeInfo];
        SessionGetInputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)api[OrtApiSlot.SessionGetInputName];
        SessionGetOutputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)api[OrtApiSlot.SessionGetOutputName];
        CreateRunOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)api[OrtApiSlot.CreateRunOptions];
        RunOptionsSetTerminate = (delegate* unmanaged[Cdecl]<nint, nint>)api[OrtApiSlot.RunOptionsSetTerminate];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint>)api[OrtApiSlot.CreateTensorWithDataAsOrtValue];
        GetTensorMutableData = (delegate* unmanaged[Cdecl]<nint, void**, nint>)api[OrtApiSlot.GetTensorMutableData];
        CastTypeInfoToTensorInfo = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)api[OrtApiSlot.CastTypeInfoToTensorInfo];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged[Cdecl]<nint, int*, nint>)api[OrtApiSlot.GetOnnxTypeFromTypeInfo];
        GetTensorElementType = (delegate* unmanaged[Cdecl]<nint, int*, nint>)api[OrtApiSlot.GetTensorElementType];
        GetDimensionsCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)api[OrtApiSlot.GetDimensionsCount];
        GetDimensions = (delegate* unmanaged[Cdecl]<nint, long*, nuint, nint>)api[OrtApiSlot.GetDimensions];
        GetSymbolicDimensions = (delegate* unmanaged[Cdecl]<nint, byte**, nuint, nint>)api[OrtApiSlot.GetSymbolicDimensions];
        GetTensorTypeAndShape = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)api[OrtApiSlot.GetTensorTypeAndShape];
        CreateCpuMemoryInfo = (delegate* unmanaged[Cdecl]<int, int, nint*, nint>)api[OrtApiSlot.CreateCpuMemoryInfo];
        AllocatorFree = (delegate* unmanaged[Cdecl]<nint, void*, nint>)api[OrtApiSlot.AllocatorFree];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)api[OrtApiSlot.GetAllocatorWithDefaultOptions];
        ReleaseEnv = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseEnv];
        ReleaseStatus = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseStatus];
        ReleaseMemoryInfo = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseMemoryInfo];
        ReleaseSession = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseSession];
        ReleaseValue = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseValue];
        ReleaseRunOptions = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseRunOptions];
        ReleaseTypeInfo = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseTypeInfo];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseTensorTypeAndShapeInfo];
        ReleaseSessionOptions = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseSessionOptions];
        RunWithBinding = (delegate* unmanaged[Cdecl]<nint, nint, nint, nint>)api[OrtApiSlot.RunWithBinding];
        CreateIoBinding = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)api[OrtApiSlot.CreateIoBinding];
        ReleaseIoBinding = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ReleaseIoBinding];
        BindInput = (delegate* unmanaged[Cdecl]<nint, byte*, nint, nint>)api[OrtApiSlot.BindInput];
        BindOutput = (delegate* unmanaged[Cdecl]<nint, byte*, nint, nint>)api[OrtApiSlot.BindOutput];
        ClearBoundInputs = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ClearBoundInputs];
        ClearBoundOutputs = (delegate* unmanaged[Cdecl]<nint, void>)api[OrtApiSlot.ClearBoundOutputs];
    }
}
