using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace ResShift.Engines.OnnxRuntime.Native;

/// <summary>
/// Every call into ONNX Runtime goes through here. The library is opened on first use
/// (<see cref="OrtLibraryLocator"/>), then OrtGetApiBase → GetApi(<see cref="ApiVersion"/>) gives the OrtApi
/// function table. Each OrtStatus* is checked: non-null becomes an <see cref="OnnxRuntimeException"/> after the
/// status is released. Handles are leased for the length of each call.
/// </summary>
internal static unsafe class NativeMethods
{
    /// <summary>ORT_API_VERSION of the 1.30 header; older libraries refuse it, which we report clearly.</summary>
    public const uint ApiVersion = 30;

    private static readonly Lazy<LoadedApi> Api = new(Open, LazyThreadSafetyMode.ExecutionAndPublication);

    private sealed record LoadedApi(OrtFunctions Functions, string Version, OrtLibraryChoice Library);

    [StructLayout(LayoutKind.Sequential)]
    private struct OrtApiBase
    {
        public delegate* unmanaged[Cdecl]<uint, nint*> GetApi;
        public delegate* unmanaged[Cdecl]<byte*> GetVersionString;
    }

    private static OrtFunctions F => Api.Value.Functions;

    public static string VersionString => Api.Value.Version;

    public static string LibraryPath => Api.Value.Library.Path;

    private static LoadedApi Open()
    {
        var choice = OrtLibraryLocator.ResolveForProcess();
        var library = OrtLibraryLoader.LoadLibrary(choice);
        var entry = OrtLibraryLoader.GetApiBaseEntryPoint(library, choice);
        var apiBase = ((delegate* unmanaged[Cdecl]<OrtApiBase*>)entry)();
        if (apiBase == null)
            throw new InvalidOperationException($"OrtGetApiBase in '{choice.Path}' returned null.");
        var version = Marshal.PtrToStringUTF8((nint)apiBase->GetVersionString()) ?? "unknown";
        var table = apiBase->GetApi(ApiVersion);
        if (table == null)
            throw new NotSupportedException(
                $"ONNX Runtime {version} at '{choice.Path}' does not provide C API version {ApiVersion} " +
                $"(ONNX Runtime {OrtRuntime.ExpectedVersion} or newer is needed). Run `make setup` or point " +
                $"{OrtLibraryLocator.EnvironmentVariable} at a newer build.");
        return new LoadedApi(new OrtFunctions(table), version, choice);
    }

    // ---- status -------------------------------------------------------------------------------------

    private static void Check(nint status, string? context = null)
    {
        if (status != 0)
            throw ToException(status, context);
    }

    private static OnnxRuntimeException ToException(nint status, string? context)
    {
        var f = F;
        var code = (OrtErrorCode)f.GetErrorCode(status);
        var message = Marshal.PtrToStringUTF8((nint)f.GetErrorMessage(status)) ?? string.Empty;
        f.ReleaseStatus(status);
        return new OnnxRuntimeException(code, message, context);
    }

    private static byte[] NullTerminatedUtf8(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    // ---- environment, options ----------------------------------------------------------------------

    public static OrtEnvHandle CreateEnv(OrtLoggingLevel level, string logId)
    {
        var id = NullTerminatedUtf8(logId);
        nint env;
        fixed (byte* p = id)
            Check(F.CreateEnv((int)level, p, &env), "Creating the ONNX Runtime environment");
        return new OrtEnvHandle(env);
    }

    public const int SameAsRequested = 1; // OrtArenaCfg arena_extend_strategy (0 = kNextPowerOfTwo)

    /// <summary>
    /// Registers one CPU arena in the environment that every session created with
    /// <c>session.use_env_allocators = 1</c> shares. The arena grows by exactly what a request needs
    /// (kSameAsRequested) instead of doubling, so the memory it holds tracks the real peak.
    /// </summary>
    public static void RegisterSharedCpuArena(OrtEnvHandle env, OrtMemoryInfoHandle cpuArenaInfo, int extendStrategy = SameAsRequested)
    {
        nint config;
        Check(F.CreateArenaCfg(0, extendStrategy, -1, -1, &config), "Creating the CPU arena configuration");
        try
        {
            using var e = new HandleLease(env);
            using var m = new HandleLease(cpuArenaInfo);
            Check(F.CreateAndRegisterAllocator(e.Pointer, m.Pointer, config), "Registering the shared CPU arena");
        }
        finally
        {
            F.ReleaseArenaCfg(config); // the allocator keeps its own copy of the settings
        }
    }

    public static OrtSessionOptionsHandle CreateSessionOptions()
    {
        nint options;
        Check(F.CreateSessionOptions(&options), "Creating session options");
        return new OrtSessionOptionsHandle(options);
    }

    public static void SetIntraOpNumThreads(OrtSessionOptionsHandle options, int threads)
    {
        using var o = new HandleLease(options);
        Check(F.SetIntraOpNumThreads(o.Pointer, threads), "Setting intra-op threads");
    }

    public static void SetInterOpNumThreads(OrtSessionOptionsHandle options, int threads)
    {
        using var o = new HandleLease(options);
        Check(F.SetInterOpNumThreads(o.Pointer, threads), "Setting inter-op threads");
    }

    public static void SetGraphOptimizationLevel(OrtSessionOptionsHandle options, GraphOptimizationLevel level)
    {
        using var o = new HandleLease(options);
        Check(F.SetSessionGraphOptimizationLevel(o.Pointer, (int)level), "Setting the graph optimisation level");
    }

    public static void SetExecutionMode(OrtSessionOptionsHandle options, OrtExecutionMode mode)
    {
        using var o = new HandleLease(options);
        Check(F.SetSessionExecutionMode(o.Pointer, (int)mode), "Setting the execution mode");
    }

    public static void SetCpuMemArena(OrtSessionOptionsHandle options, bool enabled)
    {
        using var o = new HandleLease(options);
        Check(enabled ? F.EnableCpuMemArena(o.Pointer) : F.DisableCpuMemArena(o.Pointer), "Setting the CPU memory arena");
    }

    public static void SetMemPattern(OrtSessionOptionsHandle options, bool enabled)
    {
        using var o = new HandleLease(options);
        Check(enabled ? F.EnableMemPattern(o.Pointer) : F.DisableMemPattern(o.Pointer), "Setting memory pattern planning");
    }

    public static void EnableProfiling(OrtSessionOptionsHandle options, string filePrefix)
    {
        using var o = new HandleLease(options);
        var prefix = NullTerminatedUtf8(filePrefix); // ORTCHAR_T is char (UTF-8) on Linux
        fixed (byte* p = prefix)
            Check(F.EnableProfiling(o.Pointer, p), "Enabling profiling");
    }

    public static void AddSessionConfigEntry(OrtSessionOptionsHandle options, string key, string value)
    {
        using var o = new HandleLease(options);
        var k = NullTerminatedUtf8(key);
        var v = NullTerminatedUtf8(value);
        fixed (byte* pk = k)
        fixed (byte* pv = v)
            Check(F.AddSessionConfigEntry(o.Pointer, pk, pv), $"Setting session config entry '{key}'");
    }

    // ---- sessions ----------------------------------------------------------------------------------

    public static OrtSessionHandle CreateSession(OrtEnvHandle env, string modelPath, OrtSessionOptionsHandle options)
    {
        var path = NullTerminatedUtf8(modelPath); // ORTCHAR_T is char (UTF-8) on Linux
        using var e = new HandleLease(env);
        using var o = new HandleLease(options);
        nint session;
        fixed (byte* p = path)
            Check(F.CreateSession(e.Pointer, p, o.Pointer, &session), $"Loading ONNX model '{modelPath}'");
        return new OrtSessionHandle(session);
    }

    public static OrtSessionHandle CreateSessionFromArray(OrtEnvHandle env, ReadOnlySpan<byte> model, OrtSessionOptionsHandle options, string description)
    {
        using var e = new HandleLease(env);
        using var o = new HandleLease(options);
        nint session;
        fixed (byte* p = model)
            Check(F.CreateSessionFromArray(e.Pointer, p, (nuint)model.Length, o.Pointer, &session), $"Loading ONNX model {description}");
        return new OrtSessionHandle(session);
    }

    public static int SessionInputCount(OrtSessionHandle session)
    {
        using var s = new HandleLease(session);
        nuint count;
        Check(F.SessionGetInputCount(s.Pointer, &count), "Reading the input count");
        return checked((int)count);
    }

    public static int SessionOutputCount(OrtSessionHandle session)
    {
        using var s = new HandleLease(session);
        nuint count;
        Check(F.SessionGetOutputCount(s.Pointer, &count), "Reading the output count");
        return checked((int)count);
    }

    public static OrtTensorInfo SessionInputInfo(OrtSessionHandle session, int index) =>
        SessionValueInfo(session, index, "input", F.SessionGetInputName, F.SessionGetInputTypeInfo);

    public static OrtTensorInfo SessionOutputInfo(OrtSessionHandle session, int index) =>
        SessionValueInfo(session, index, "output", F.SessionGetOutputName, F.SessionGetOutputTypeInfo);

    private static OrtTensorInfo SessionValueInfo(OrtSessionHandle session, int index, string what,
        delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> getName, delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> getTypeInfo)
    {
        using var s = new HandleLease(session);
        var name = ReadAllocatedString(getName, s.Pointer, index, what);
        nint typeInfo;
        Check(getTypeInfo(s.Pointer, (nuint)index, &typeInfo), $"Reading the type of {what} '{name}'");
        return ReadTypeInfo(typeInfo, name);
    }

    private static string ReadAllocatedString(delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> getName, nint session, int index, string what)
    {
        nint allocator; // the default CPU allocator is process-wide and must not be freed
        Check(F.GetAllocatorWithDefaultOptions(&allocator), "Getting the default allocator");
        byte* name;
        Check(getName(session, (nuint)index, allocator, &name), $"Reading the name of {what} {index}");
        try
        {
            return Marshal.PtrToStringUTF8((nint)name) ?? string.Empty;
        }
        finally
        {
            Check(F.AllocatorFree(allocator, name), "Freeing a name");
        }
    }

    private static OrtTensorInfo ReadTypeInfo(nint typeInfo, string name)
    {
        try
        {
            int kind;
            Check(F.GetOnnxTypeFromTypeInfo(typeInfo, &kind), $"Reading the kind of '{name}'");
            if ((OnnxValueKind)kind != OnnxValueKind.Tensor)
                return new OrtTensorInfo(name, false, TensorElementType.Undefined, [], []);

            nint tensorInfo; // borrowed from typeInfo, not released separately
            Check(F.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo), $"Reading the tensor type of '{name}'");
            var (elementType, dims, symbols) = ReadTensorTypeAndShape(tensorInfo, name);
            return new OrtTensorInfo(name, true, elementType, dims, symbols);
        }
        finally
        {
            F.ReleaseTypeInfo(typeInfo);
        }
    }

    private static (TensorElementType, long[], string[]) ReadTensorTypeAndShape(nint tensorInfo, string name)
    {
        int elementType;
        Check(F.GetTensorElementType(tensorInfo, &elementType), $"Reading the element type of '{name}'");
        nuint rank;
        Check(F.GetDimensionsCount(tensorInfo, &rank), $"Reading the rank of '{name}'");
        var dims = new long[(int)rank];
        var symbols = new string[(int)rank];
        if (rank > 0)
        {
            fixed (long* d = dims)
                Check(F.GetDimensions(tensorInfo, d, rank), $"Reading the shape of '{name}'");
            var names = stackalloc byte*[(int)rank];
            Check(F.GetSymbolicDimensions(tensorInfo, names, rank), $"Reading the symbolic shape of '{name}'");
            for (var i = 0; i < (int)rank; i++)
                symbols[i] = names[i] == null ? string.Empty : Marshal.PtrToStringUTF8((nint)names[i]) ?? string.Empty;
        }
        return ((TensorElementType)elementType, dims, symbols);
    }

    // ---- values ------------------------------------------------------------------------------------

    public static OrtMemoryInfoHandle CreateCpuMemoryInfo()
    {
        nint info;
        Check(F.CreateCpuMemoryInfo((int)OrtAllocatorType.Arena, (int)OrtMemType.Default, &info), "Creating CPU memory info");
        return new OrtMemoryInfoHandle(info);
    }

    /// <summary>A tensor over pinned caller memory; ORT neither copies nor frees it. The value takes over <paramref name="pin"/>.</summary>
    public static OrtValueHandle CreateTensorWithData(OrtMemoryInfoHandle memoryInfo, MemoryHandle pin, nuint byteLength, ReadOnlySpan<long> shape, TensorElementType type)
    {
        var data = pin.Pointer;
        using var m = new HandleLease(memoryInfo);
        nint value;
        fixed (long* s = shape)
            Check(F.CreateTensorWithDataAsOrtValue(m.Pointer, data, byteLength, s, (nuint)shape.Length, (int)type, &value),
                $"Creating a {type} tensor [{string.Join(",", shape.ToArray())}]");
        return new OrtValueHandle(value, pin);
    }

    public static void* GetTensorData(OrtValueHandle value)
    {
        using var v = new HandleLease(value);
        void* data;
        Check(F.GetTensorMutableData(v.Pointer, &data), "Reading tensor data");
        return data;
    }

    public static (TensorElementType ElementType, long[] Shape) GetTensorTypeAndShape(OrtValueHandle value)
    {
        using var v = new HandleLease(value);
        nint info;
        Check(F.GetTensorTypeAndShape(v.Pointer, &info), "Reading a tensor's type and shape");
        try
        {
            var (type, dims, _) = ReadTensorTypeAndShape(info, "tensor");
            return (type, dims);
        }
        finally
        {
            F.ReleaseTensorTypeAndShapeInfo(info);
        }
    }

    // ---- running -----------------------------------------------------------------------------------

    public static OrtRunOptionsHandle CreateRunOptions()
    {
        nint options;
        Check(F.CreateRunOptions(&options), "Creating run options");
        return new OrtRunOptionsHandle(options);
    }

    /// <summary>Safe to call from any thread while a Run with these options is in progress; that is its purpose.</summary>
    public static void SetTerminate(OrtRunOptionsHandle options)
    {
        using var o = new HandleLease(options);
        Check(F.RunOptionsSetTerminate(o.Pointer), "Requesting run termination");
    }

    /// <summary>
    /// Run with every output pre-allocated by the caller: ORT writes the results straight into those tensors.
    /// <paramref name="inputNames"/> and <paramref name="outputNames"/> are arrays of UTF-8 C strings.
    /// </summary>
    public static void Run(OrtSessionHandle session, OrtRunOptionsHandle? runOptions,
        nint* inputNames, ReadOnlySpan<OrtValueHandle> inputs, nint* outputNames, ReadOnlySpan<OrtValueHandle> outputs, string context)
    {
        var leased = new SafeHandle[inputs.Length + outputs.Length + 2];
        var count = 0;
        try
        {
            var s = Lease(session, leased, ref count);
            var r = runOptions is null ? 0 : Lease(runOptions, leased, ref count);
            var inputPointers = stackalloc nint[inputs.Length];
            for (var i = 0; i < inputs.Length; i++)
                inputPointers[i] = Lease(inputs[i], leased, ref count);
            var outputPointers = stackalloc nint[outputs.Length];
            for (var i = 0; i < outputs.Length; i++)
                outputPointers[i] = Lease(outputs[i], leased, ref count);

            Check(F.Run(s, r, inputNames, inputPointers, (nuint)inputs.Length, outputNames, (nuint)outputs.Length, outputPointers), context);
        }
        finally
        {
            for (var i = 0; i < count; i++)
                leased[i].DangerousRelease();
        }
    }

    /// <summary>Run and let ORT allocate the outputs; the caller owns the returned values.</summary>
    public static OrtValueHandle[] RunAllocatingOutputs(OrtSessionHandle session, OrtRunOptionsHandle? runOptions,
        nint* inputNames, ReadOnlySpan<OrtValueHandle> inputs, nint* outputNames, int outputCount, string context)
    {
        var leased = new SafeHandle[inputs.Length + 2];
        var count = 0;
        var outputPointers = stackalloc nint[outputCount];
        new Span<nint>(outputPointers, outputCount).Clear();
        try
        {
            var s = Lease(session, leased, ref count);
            var r = runOptions is null ? 0 : Lease(runOptions, leased, ref count);
            var inputPointers = stackalloc nint[inputs.Length];
            for (var i = 0; i < inputs.Length; i++)
                inputPointers[i] = Lease(inputs[i], leased, ref count);

            Check(F.Run(s, r, inputNames, inputPointers, (nuint)inputs.Length, outputNames, (nuint)outputCount, outputPointers), context);
        }
        finally
        {
            for (var i = 0; i < count; i++)
                leased[i].DangerousRelease();
        }

        var results = new OrtValueHandle[outputCount];
        for (var i = 0; i < outputCount; i++)
            results[i] = new OrtValueHandle(outputPointers[i]);
        return results;
    }

    private static nint Lease(SafeHandle handle, SafeHandle[] leased, ref int count)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        leased[count++] = handle;
        return handle.DangerousGetHandle();
    }

    // ---- IO binding --------------------------------------------------------------------------------

    public static OrtIoBindingHandle CreateIoBinding(OrtSessionHandle session)
    {
        using var s = new HandleLease(session);
        nint binding;
        Check(F.CreateIoBinding(s.Pointer, &binding), "Creating an IO binding");
        return new OrtIoBindingHandle(binding);
    }

    public static void BindInput(OrtIoBindingHandle binding, byte* name, OrtValueHandle value, string displayName)
    {
        using var b = new HandleLease(binding);
        using var v = new HandleLease(value);
        Check(F.BindInput(b.Pointer, name, v.Pointer), $"Binding input '{displayName}'");
    }

    public static void BindOutput(OrtIoBindingHandle binding, byte* name, OrtValueHandle value, string displayName)
    {
        using var b = new HandleLease(binding);
        using var v = new HandleLease(value);
        Check(F.BindOutput(b.Pointer, name, v.Pointer), $"Binding output '{displayName}'");
    }

    public static void ClearBindings(OrtIoBindingHandle binding)
    {
        using var b = new HandleLease(binding);
        F.ClearBoundInputs(b.Pointer);
        F.ClearBoundOutputs(b.Pointer);
    }

    public static void RunWithBinding(OrtSessionHandle session, OrtRunOptionsHandle runOptions, OrtIoBindingHandle binding, string context)
    {
        using var s = new HandleLease(session);
        using var r = new HandleLease(runOptions);
        using var b = new HandleLease(binding);
        Check(F.RunWithBinding(s.Pointer, r.Pointer, b.Pointer), context);
    }

    // ---- release (called only from the SafeHandles) -------------------------------------------------

    public static void ReleaseEnv(nint p) => F.ReleaseEnv(p);
    public static void ReleaseSessionOptions(nint p) => F.ReleaseSessionOptions(p);
    public static void ReleaseSession(nint p) => F.ReleaseSession(p);
    public static void ReleaseValue(nint p) => F.ReleaseValue(p);
    public static void ReleaseMemoryInfo(nint p) => F.ReleaseMemoryInfo(p);
    public static void ReleaseRunOptions(nint p) => F.ReleaseRunOptions(p);
    public static void ReleaseIoBinding(nint p) => F.ReleaseIoBinding(p);
}
