using System.Runtime.InteropServices;
using ResShift.Engines.Cuda;
using ResShift.Engines.Cuda.Native;

namespace ResShift.Engines.TensorRt.Native;

/// <summary>
/// Every call into libresshift_trt.so (native/trt, our C ABI over TensorRT) goes through here. The shim is
/// found via RESSHIFT_TRT_SHIM, else next to the application, else by the system loader; it in turn needs
/// libnvinfer.so.10 and libnvonnxparser.so.10, which the loader reports when they are missing.
/// </summary>
internal static unsafe class TrtNativeMethods
{
    public const string LibraryName = "libresshift_trt.so";
    public const string EnvironmentVariable = "RESSHIFT_TRT_SHIM";
    public const int AbiVersion = 2;

    [StructLayout(LayoutKind.Sequential)]
    public struct TensorInfo
    {
        public byte* Name;
        public int IsInput;
        public int DataType;
        public int NbDims;
        public fixed long Dims[8];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Blob
    {
        public nint Data;
        public nuint Size;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct BuildOptions
    {
        public int Fp16;
        public int MinBatch, OptBatch, MaxBatch;
        public byte* Fp32Layers;
        public void* TimingCache;
        public nuint TimingCacheSize;
        public nuint WorkspaceBytes;
        public int BuilderOptimizationLevel;
        public int StronglyTyped;
    }

    private static readonly Lazy<Functions> Api = new(Open, LazyThreadSafetyMode.ExecutionAndPublication);
    private static Functions F => Api.Value;

    private sealed class Functions
    {
        public delegate* unmanaged[Cdecl]<int> AbiVersion;
        public delegate* unmanaged[Cdecl]<int> LibraryVersion;
        public delegate* unmanaged[Cdecl]<byte*> LastError;
        public delegate* unmanaged[Cdecl]<byte*> LastLog;
        public delegate* unmanaged[Cdecl]<int> HasWeakTyping;
        public delegate* unmanaged[Cdecl]<void*, nuint, nint> EngineDeserialize;
        public delegate* unmanaged[Cdecl]<nint, void> EngineDestroy;
        public delegate* unmanaged[Cdecl]<nint, int> EngineIoCount;
        public delegate* unmanaged[Cdecl]<nint, int, TensorInfo*, int> EngineIoInfo;
        public delegate* unmanaged[Cdecl]<nint, long> EngineDeviceMemory;
        public delegate* unmanaged[Cdecl]<nint, nint> ContextCreate;
        public delegate* unmanaged[Cdecl]<nint, void> ContextDestroy;
        public delegate* unmanaged[Cdecl]<nint, byte*, int, long*, int> SetInputShape;
        public delegate* unmanaged[Cdecl]<nint, byte*, ulong, int> SetTensorAddress;
        public delegate* unmanaged[Cdecl]<nint, nint, int> Enqueue;
        public delegate* unmanaged[Cdecl]<byte*, BuildOptions*, Blob*, Blob*, int> Build;
        public delegate* unmanaged[Cdecl]<Blob*, void> BlobFree;
    }

    /// <summary>
    /// Candidate paths: the application folder first (the publish carries prebuilt shims: libresshift_trt11.so needs
    /// libnvinfer.so.11, libresshift_trt.so libnvinfer.so.10; the first whose TensorRT loads wins), then the system loader.
    /// </summary>
    public static string[] Candidates() =>
        [Path.Combine(AppContext.BaseDirectory, "libresshift_trt11.so"), Path.Combine(AppContext.BaseDirectory, LibraryName), LibraryName];

    private static Functions Open()
    {
        nint lib = GpuLibraryLoader.Load("the TensorRT shim (libresshift_trt.so, built from native/trt; needs libnvinfer.so.10)", EnvironmentVariable, Candidates());
        nint E(string s) => GpuLibraryLoader.Export(lib, LibraryName, s);
        var f = new Functions
        {
            AbiVersion = (delegate* unmanaged[Cdecl]<int>)E("rs_trt_abi_version"),
            LibraryVersion = (delegate* unmanaged[Cdecl]<int>)E("rs_trt_library_version"),
            LastError = (delegate* unmanaged[Cdecl]<byte*>)E("rs_trt_last_error"),
            LastLog = (delegate* unmanaged[Cdecl]<byte*>)E("rs_trt_last_log"),
            HasWeakTyping = (delegate* unmanaged[Cdecl]<int>)E("rs_trt_has_weak_typing"),
            EngineDeserialize = (delegate* unmanaged[Cdecl]<void*, nuint, nint>)E("rs_trt_engine_deserialize"),
            EngineDestroy = (delegate* unmanaged[Cdecl]<nint, void>)E("rs_trt_engine_destroy"),
            EngineIoCount = (delegate* unmanaged[Cdecl]<nint, int>)E("rs_trt_engine_io_count"),
            EngineIoInfo = (delegate* unmanaged[Cdecl]<nint, int, TensorInfo*, int>)E("rs_trt_engine_io_info"),
            EngineDeviceMemory = (delegate* unmanaged[Cdecl]<nint, long>)E("rs_trt_engine_device_memory"),
            ContextCreate = (delegate* unmanaged[Cdecl]<nint, nint>)E("rs_trt_context_create"),
            ContextDestroy = (delegate* unmanaged[Cdecl]<nint, void>)E("rs_trt_context_destroy"),
            SetInputShape = (delegate* unmanaged[Cdecl]<nint, byte*, int, long*, int>)E("rs_trt_context_set_input_shape"),
            SetTensorAddress = (delegate* unmanaged[Cdecl]<nint, byte*, ulong, int>)E("rs_trt_context_set_tensor_address"),
            Enqueue = (delegate* unmanaged[Cdecl]<nint, nint, int>)E("rs_trt_context_enqueue"),
            Build = (delegate* unmanaged[Cdecl]<byte*, BuildOptions*, Blob*, Blob*, int>)E("rs_trt_build"),
            BlobFree = (delegate* unmanaged[Cdecl]<Blob*, void>)E("rs_trt_blob_free"),
        };
        int abi = f.AbiVersion();
        if (abi != AbiVersion)
            throw new NotSupportedException($"{LibraryName} has ABI version {abi}, this build needs {AbiVersion}: rebuild native/trt.");
        return f;
    }

    private static void Check(int rc, string call)
    {
        if (rc != 0) throw new TensorRtException(call, Marshal.PtrToStringUTF8((nint)F.LastError()) ?? "");
    }

    private static nint NotNull(nint p, string call) =>
        p != 0 ? p : throw new TensorRtException(call, Marshal.PtrToStringUTF8((nint)F.LastError()) ?? "");

    public static int LibraryVersion() => F.LibraryVersion();

    /// <summary>False for a shim built for TensorRT 11+, where every network is strongly typed (no fp16 builder flag).</summary>
    public static bool HasWeakTyping() => F.HasWeakTyping() != 0;

    public static nint EngineDeserialize(ReadOnlySpan<byte> plan)
    {
        fixed (byte* p = plan)
            return NotNull(F.EngineDeserialize(p, (nuint)plan.Length), "deserialize engine");
    }

    public static void EngineDestroy(nint engine) => F.EngineDestroy(engine);

    public static IReadOnlyList<TrtTensor> EngineTensors(nint engine)
    {
        int n = F.EngineIoCount(engine);
        var list = new List<TrtTensor>(n);
        for (int i = 0; i < n; i++)
        {
            TensorInfo info;
            Check(F.EngineIoInfo(engine, i, &info), "engine tensor info");
            var dims = new long[info.NbDims];
            for (int d = 0; d < dims.Length; d++) dims[d] = info.Dims[d];
            list.Add(new TrtTensor(Marshal.PtrToStringUTF8((nint)info.Name)!, info.IsInput == 1, (TrtDataType)info.DataType, dims));
        }
        return list;
    }

    public static long EngineDeviceMemory(nint engine) => F.EngineDeviceMemory(engine);

    public static nint ContextCreate(nint engine) => NotNull(F.ContextCreate(engine), "create execution context");

    public static void ContextDestroy(nint context) => F.ContextDestroy(context);

    public static void SetInputShape(nint context, string name, ReadOnlySpan<long> dims)
    {
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* n = utf8)
        fixed (long* d = dims)
            Check(F.SetInputShape(context, n, dims.Length, d), $"set input shape {name}");
    }

    public static void SetTensorAddress(nint context, string name, ulong devicePointer)
    {
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* n = utf8)
            Check(F.SetTensorAddress(context, n, devicePointer), $"set tensor address {name}");
    }

    public static void Enqueue(nint context, nint stream) => Check(F.Enqueue(context, stream), "enqueueV3");

    /// <returns>The plan, the updated timing cache, and TensorRT's warnings and the shim's notes of this build.</returns>
    public static (byte[] Plan, byte[] TimingCache, string Log) Build(string onnxPath, TrtBuildSettings settings, ReadOnlySpan<byte> timingCache)
    {
        byte[] path = System.Text.Encoding.UTF8.GetBytes(onnxPath + "\0");
        byte[] layers = System.Text.Encoding.UTF8.GetBytes(string.Join(';', settings.Fp32LayerPatterns) + "\0");
        Blob plan = default, timing = default;
        fixed (byte* p = path)
        fixed (byte* l = layers)
        fixed (byte* t = timingCache)
        {
            var o = new BuildOptions
            {
                Fp16 = settings.Precision == "fp16" ? 1 : 0,
                MinBatch = 1, OptBatch = settings.OptBatch, MaxBatch = settings.MaxBatch,
                Fp32Layers = l, TimingCache = timingCache.IsEmpty ? null : t, TimingCacheSize = (nuint)timingCache.Length,
                WorkspaceBytes = (nuint)settings.WorkspaceBytes, BuilderOptimizationLevel = settings.OptimizationLevel,
                StronglyTyped = settings.StronglyTyped ? 1 : 0,
            };
            Check(F.Build(p, &o, &plan, &timing), $"build engine from {onnxPath}");
        }
        try
        {
            return (new Span<byte>((void*)plan.Data, (int)plan.Size).ToArray(), new Span<byte>((void*)timing.Data, (int)timing.Size).ToArray(),
                Marshal.PtrToStringUTF8((nint)F.LastLog()) ?? "");
        }
        finally
        {
            F.BlobFree(&plan);
            F.BlobFree(&timing);
        }
    }
}

internal sealed class TrtEngineHandle : SafeHandle
{
    public TrtEngineHandle(nint engine) : base(0, true) => SetHandle(engine);
    public override bool IsInvalid => handle == 0;
    protected override bool ReleaseHandle() { TrtNativeMethods.EngineDestroy(handle); return true; }
}

internal sealed class TrtContextHandle : SafeHandle
{
    public TrtContextHandle(nint context) : base(0, true) => SetHandle(context);
    public override bool IsInvalid => handle == 0;
    protected override bool ReleaseHandle() { TrtNativeMethods.ContextDestroy(handle); return true; }
}
