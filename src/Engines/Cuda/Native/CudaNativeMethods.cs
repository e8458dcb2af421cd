using System.Runtime.InteropServices;
using System.Text;

namespace ResShift.Engines.Cuda.Native;

/// <summary>
/// Every call into the CUDA driver API goes through here. libcuda.so.1 is opened on first use (never at start-up,
/// so the CPU build runs without it), cuInit(0) runs once, and each CUresult is checked: a failure becomes a
/// <see cref="CudaException"/> carrying cuGetErrorName/cuGetErrorString and the function name.
/// The *_v2 entry points are the ones cuda.h maps the plain names to since CUDA 4/11.
/// </summary>
internal static unsafe class CudaNativeMethods
{
    public const string LibraryName = "libcuda.so.1";
    public const string EnvironmentVariable = "RESSHIFT_LIBCUDA";
    public const string Description = "the NVIDIA driver (libcuda.so.1)";

    private static readonly Lazy<Functions> Api = new(Open, LazyThreadSafetyMode.ExecutionAndPublication);

    private static Functions F => Api.Value;

    /// <summary>Loads the driver and runs cuInit; throws <see cref="GpuLibraryNotFoundException"/> or <see cref="CudaException"/>.</summary>
    public static void EnsureInitialized() => _ = Api.Value;

    private sealed class Functions
    {
        public delegate* unmanaged[Cdecl]<uint, int> Init;
        public delegate* unmanaged[Cdecl]<int*, int> DriverGetVersion;
        public delegate* unmanaged[Cdecl]<int, byte**, int> GetErrorName;
        public delegate* unmanaged[Cdecl]<int, byte**, int> GetErrorString;
        public delegate* unmanaged[Cdecl]<int*, int> DeviceGetCount;
        public delegate* unmanaged[Cdecl]<int*, int, int> DeviceGet;
        public delegate* unmanaged[Cdecl]<byte*, int, int, int> DeviceGetName;
        public delegate* unmanaged[Cdecl]<int*, int, int, int> DeviceGetAttribute;
        public delegate* unmanaged[Cdecl]<nuint*, int, int> DeviceTotalMem;
        public delegate* unmanaged[Cdecl]<nint*, int, int> PrimaryCtxRetain;
        public delegate* unmanaged[Cdecl]<int, int> PrimaryCtxRelease;
        public delegate* unmanaged[Cdecl]<nint, int> CtxPushCurrent;
        public delegate* unmanaged[Cdecl]<nint*, int> CtxPopCurrent;
        public delegate* unmanaged[Cdecl]<int> CtxSynchronize;
        public delegate* unmanaged[Cdecl]<nint*, uint, int> StreamCreate;
        public delegate* unmanaged[Cdecl]<nint, int> StreamDestroy;
        public delegate* unmanaged[Cdecl]<nint, int> StreamSynchronize;
        public delegate* unmanaged[Cdecl]<nint, nint, uint, int> StreamWaitEvent;
        public delegate* unmanaged[Cdecl]<nint, int> StreamQuery;
        public delegate* unmanaged[Cdecl]<nint, delegate* unmanaged[Cdecl]<nint, void>, nint, int> LaunchHostFunc;
        public delegate* unmanaged[Cdecl]<nint*, uint, int> EventCreate;
        public delegate* unmanaged[Cdecl]<nint, int> EventDestroy;
        public delegate* unmanaged[Cdecl]<nint, nint, int> EventRecord;
        public delegate* unmanaged[Cdecl]<nint, int> EventSynchronize;
        public delegate* unmanaged[Cdecl]<float*, nint, nint, int> EventElapsedTime;
        public delegate* unmanaged[Cdecl]<ulong*, nuint, int> MemAlloc;
        public delegate* unmanaged[Cdecl]<ulong, int> MemFree;
        public delegate* unmanaged[Cdecl]<nint*, nuint, uint, int> MemHostAlloc;
        public delegate* unmanaged[Cdecl]<nint, int> MemFreeHost;
        public delegate* unmanaged[Cdecl]<ulong, nint, nuint, nint, int> MemcpyHtoDAsync;
        public delegate* unmanaged[Cdecl]<nint, ulong, nuint, nint, int> MemcpyDtoHAsync;
        public delegate* unmanaged[Cdecl]<ulong, ulong, nuint, nint, int> MemcpyDtoDAsync;
        public delegate* unmanaged[Cdecl]<nuint*, nuint*, int> MemGetInfo;
        public delegate* unmanaged[Cdecl]<nint*, byte*, int> ModuleLoadData;
        public delegate* unmanaged[Cdecl]<nint, int> ModuleUnload;
        public delegate* unmanaged[Cdecl]<nint*, nint, byte*, int> ModuleGetFunction;
        public delegate* unmanaged[Cdecl]<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> LaunchKernel;
    }

    private static Functions Open()
    {
        nint lib = GpuLibraryLoader.Load(Description, EnvironmentVariable, [LibraryName]);
        nint E(string symbol) => GpuLibraryLoader.Export(lib, LibraryName, symbol);
        var f = new Functions
        {
            Init = (delegate* unmanaged[Cdecl]<uint, int>)E("cuInit"),
            DriverGetVersion = (delegate* unmanaged[Cdecl]<int*, int>)E("cuDriverGetVersion"),
            GetErrorName = (delegate* unmanaged[Cdecl]<int, byte**, int>)E("cuGetErrorName"),
            GetErrorString = (delegate* unmanaged[Cdecl]<int, byte**, int>)E("cuGetErrorString"),
            DeviceGetCount = (delegate* unmanaged[Cdecl]<int*, int>)E("cuDeviceGetCount"),
            DeviceGet = (delegate* unmanaged[Cdecl]<int*, int, int>)E("cuDeviceGet"),
            DeviceGetName = (delegate* unmanaged[Cdecl]<byte*, int, int, int>)E("cuDeviceGetName"),
            DeviceGetAttribute = (delegate* unmanaged[Cdecl]<int*, int, int, int>)E("cuDeviceGetAttribute"),
            DeviceTotalMem = (delegate* unmanaged[Cdecl]<nuint*, int, int>)E("cuDeviceTotalMem_v2"),
            PrimaryCtxRetain = (delegate* unmanaged[Cdecl]<nint*, int, int>)E("cuDevicePrimaryCtxRetain"),
            PrimaryCtxRelease = (delegate* unmanaged[Cdecl]<int, int>)E("cuDevicePrimaryCtxRelease_v2"),
            CtxPushCurrent = (delegate* unmanaged[Cdecl]<nint, int>)E("cuCtxPushCurrent_v2"),
            CtxPopCurrent = (delegate* unmanaged[Cdecl]<nint*, int>)E("cuCtxPopCurrent_v2"),
            CtxSynchronize = (delegate* unmanaged[Cdecl]<int>)E("cuCtxSynchronize"),
            StreamCreate = (delegate* unmanaged[Cdecl]<nint*, uint, int>)E("cuStreamCreate"),
            StreamDestroy = (delegate* unmanaged[Cdecl]<nint, int>)E("cuStreamDestroy_v2"),
            StreamSynchronize = (delegate* unmanaged[Cdecl]<nint, int>)E("cuStreamSynchronize"),
            StreamWaitEvent = (delegate* unmanaged[Cdecl]<nint, nint, uint, int>)E("cuStreamWaitEvent"),
            StreamQuery = (delegate* unmanaged[Cdecl]<nint, int>)E("cuStreamQuery"),
            LaunchHostFunc = (delegate* unmanaged[Cdecl]<nint, delegate* unmanaged[Cdecl]<nint, void>, nint, int>)E("cuLaunchHostFunc"),
            EventCreate = (delegate* unmanaged[Cdecl]<nint*, uint, int>)E("cuEventCreate"),
            EventDestroy = (delegate* unmanaged[Cdecl]<nint, int>)E("cuEventDestroy_v2"),
            EventRecord = (delegate* unmanaged[Cdecl]<nint, nint, int>)E("cuEventRecord"),
            EventSynchronize = (delegate* unmanaged[Cdecl]<nint, int>)E("cuEventSynchronize"),
            // CUDA 12.8 added _v2 and CUDA 13 drops the old name from the headers; drivers export both for now.
            EventElapsedTime = (delegate* unmanaged[Cdecl]<float*, nint, nint, int>)(GpuLibraryLoader.TryExport(lib, "cuEventElapsedTime_v2") is var v2 && v2 != 0 ? v2 : E("cuEventElapsedTime")),
            MemAlloc = (delegate* unmanaged[Cdecl]<ulong*, nuint, int>)E("cuMemAlloc_v2"),
            MemFree = (delegate* unmanaged[Cdecl]<ulong, int>)E("cuMemFree_v2"),
            MemHostAlloc = (delegate* unmanaged[Cdecl]<nint*, nuint, uint, int>)E("cuMemHostAlloc"),
            MemFreeHost = (delegate* unmanaged[Cdecl]<nint, int>)E("cuMemFreeHost"),
            MemcpyHtoDAsync = (delegate* unmanaged[Cdecl]<ulong, nint, nuint, nint, int>)E("cuMemcpyHtoDAsync_v2"),
            MemcpyDtoHAsync = (delegate* unmanaged[Cdecl]<nint, ulong, nuint, nint, int>)E("cuMemcpyDtoHAsync_v2"),
            MemcpyDtoDAsync = (delegate* unmanaged[Cdecl]<ulong, ulong, nuint, nint, int>)E("cuMemcpyDtoDAsync_v2"),
            MemGetInfo = (delegate* unmanaged[Cdecl]<nuint*, nuint*, int>)E("cuMemGetInfo_v2"),
            ModuleLoadData = (delegate* unmanaged[Cdecl]<nint*, byte*, int>)E("cuModuleLoadData"),
            ModuleUnload = (delegate* unmanaged[Cdecl]<nint, int>)E("cuModuleUnload"),
            ModuleGetFunction = (delegate* unmanaged[Cdecl]<nint*, nint, byte*, int>)E("cuModuleGetFunction"),
            LaunchKernel = (delegate* unmanaged[Cdecl]<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)E("cuLaunchKernel"),
        };
        int rc = f.Init(0);
        if (rc != 0)
            throw ToException(f, rc, "cuInit");
        return f;
    }

    // ---- errors ---------------------------------------------------------------------------------------

    private static void Check(int rc, string call)
    {
        if (rc != 0)
            throw ToException(F, rc, call);
    }

    private static CudaException ToException(Functions f, int rc, string call)
    {
        byte* name = null, text = null;
        string n = f.GetErrorName(rc, &name) == 0 && name != null ? Marshal.PtrToStringUTF8((nint)name)! : CudaResultNames.Name(rc);
        string s = f.GetErrorString(rc, &text) == 0 && text != null ? Marshal.PtrToStringUTF8((nint)text)! : "no description from the driver";
        return new CudaException(rc, n, s, call);
    }

    // ---- driver and devices ---------------------------------------------------------------------------

    public static int DriverVersion()
    {
        int v;
        Check(F.DriverGetVersion(&v), "cuDriverGetVersion");
        return v;
    }

    public static int DeviceCount()
    {
        int n;
        Check(F.DeviceGetCount(&n), "cuDeviceGetCount");
        return n;
    }

    public static int Device(int ordinal)
    {
        int d;
        Check(F.DeviceGet(&d, ordinal), "cuDeviceGet");
        return d;
    }

    public static string DeviceName(int device)
    {
        byte* buffer = stackalloc byte[256];
        Check(F.DeviceGetName(buffer, 256, device), "cuDeviceGetName");
        return Marshal.PtrToStringUTF8((nint)buffer) ?? "";
    }

    public static int DeviceAttribute(int device, int attribute)
    {
        int v;
        Check(F.DeviceGetAttribute(&v, attribute, device), "cuDeviceGetAttribute");
        return v;
    }

    public static ulong DeviceTotalMemory(int device)
    {
        nuint bytes;
        Check(F.DeviceTotalMem(&bytes, device), "cuDeviceTotalMem");
        return bytes;
    }

    // ---- contexts -------------------------------------------------------------------------------------

    public static nint RetainPrimaryContext(int device)
    {
        nint ctx;
        Check(F.PrimaryCtxRetain(&ctx, device), "cuDevicePrimaryCtxRetain");
        return ctx;
    }

    public static int ReleasePrimaryContext(int device) => F.PrimaryCtxRelease(device);

    public static void PushContext(nint ctx) => Check(F.CtxPushCurrent(ctx), "cuCtxPushCurrent");

    public static void PopContext()
    {
        nint ctx;
        Check(F.CtxPopCurrent(&ctx), "cuCtxPopCurrent");
    }

    public static void ContextSynchronize() => Check(F.CtxSynchronize(), "cuCtxSynchronize");

    public static (ulong Free, ulong Total) MemoryInfo()
    {
        nuint free, total;
        Check(F.MemGetInfo(&free, &total), "cuMemGetInfo");
        return (free, total);
    }

    // ---- streams and events ---------------------------------------------------------------------------

    public static nint StreamCreate(uint flags)
    {
        nint s;
        Check(F.StreamCreate(&s, flags), "cuStreamCreate");
        return s;
    }

    public static int StreamDestroy(nint stream) => F.StreamDestroy(stream);

    public static void StreamSynchronize(nint stream) => Check(F.StreamSynchronize(stream), "cuStreamSynchronize");

    public static void StreamWaitEvent(nint stream, nint ev) => Check(F.StreamWaitEvent(stream, ev, 0), "cuStreamWaitEvent");

    /// <summary>cuStreamQuery: true when all work is done, false while some is pending; throws for an error of earlier async work.</summary>
    public static bool StreamQuery(nint stream)
    {
        int rc = F.StreamQuery(stream);
        if (rc == 600) return false; // CUDA_ERROR_NOT_READY
        Check(rc, "cuStreamQuery (an earlier asynchronous operation on this stream failed)");
        return true;
    }

    /// <summary>Queues a host function after the work already on <paramref name="stream"/>; it runs on a driver thread.</summary>
    public static void LaunchHostFunc(nint stream, delegate* unmanaged[Cdecl]<nint, void> function, nint userData) =>
        Check(F.LaunchHostFunc(stream, function, userData), "cuLaunchHostFunc");

    public static nint EventCreate(uint flags)
    {
        nint e;
        Check(F.EventCreate(&e, flags), "cuEventCreate");
        return e;
    }

    public static int EventDestroy(nint ev) => F.EventDestroy(ev);

    public static void EventRecord(nint ev, nint stream) => Check(F.EventRecord(ev, stream), "cuEventRecord");

    public static void EventSynchronize(nint ev) => Check(F.EventSynchronize(ev), "cuEventSynchronize");

    public static float EventElapsedMilliseconds(nint start, nint end)
    {
        float ms;
        Check(F.EventElapsedTime(&ms, start, end), "cuEventElapsedTime");
        return ms;
    }

    // ---- memory ---------------------------------------------------------------------------------------

    public static ulong MemAlloc(nuint bytes)
    {
        ulong p;
        Check(F.MemAlloc(&p, bytes), "cuMemAlloc");
        return p;
    }

    public static int MemFree(ulong pointer) => F.MemFree(pointer);

    public static nint MemHostAlloc(nuint bytes, uint flags)
    {
        nint p;
        Check(F.MemHostAlloc(&p, bytes, flags), "cuMemHostAlloc");
        return p;
    }

    public static int MemFreeHost(nint pointer) => F.MemFreeHost(pointer);

    public static void CopyHostToDeviceAsync(ulong dst, nint src, nuint bytes, nint stream) =>
        Check(F.MemcpyHtoDAsync(dst, src, bytes, stream), "cuMemcpyHtoDAsync");

    public static void CopyDeviceToHostAsync(nint dst, ulong src, nuint bytes, nint stream) =>
        Check(F.MemcpyDtoHAsync(dst, src, bytes, stream), "cuMemcpyDtoHAsync");

    public static void CopyDeviceToDeviceAsync(ulong dst, ulong src, nuint bytes, nint stream) =>
        Check(F.MemcpyDtoDAsync(dst, src, bytes, stream), "cuMemcpyDtoDAsync");

    // ---- modules and launches -------------------------------------------------------------------------

    public static nint ModuleLoadData(byte[] image)
    {
        nint m;
        fixed (byte* p = image)
            Check(F.ModuleLoadData(&m, p), "cuModuleLoadData");
        return m;
    }

    public static int ModuleUnload(nint module) => F.ModuleUnload(module);

    public static nint ModuleGetFunction(nint module, string name)
    {
        nint fn;
        byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = utf8)
            Check(F.ModuleGetFunction(&fn, module, p), $"cuModuleGetFunction({name})");
        return fn;
    }

    public static void LaunchKernel(nint function, (uint X, uint Y, uint Z) grid, (uint X, uint Y, uint Z) block,
        uint sharedBytes, nint stream, void** arguments, string name) =>
        Check(F.LaunchKernel(function, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedBytes, stream, arguments, null), $"cuLaunchKernel({name})");
}
