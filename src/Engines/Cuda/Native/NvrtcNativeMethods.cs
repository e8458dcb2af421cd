using System.Runtime.InteropServices;
using System.Text;

namespace ResShift.Engines.Cuda.Native;

/// <summary>
/// NVRTC, the CUDA runtime compiler: turns the kernel source into PTX at start-up, so one build serves every GPU
/// generation the driver knows. It compiles without a GPU. Tried newest first: CUDA 13, 12, then 11.2-11.8
/// (whose soname stayed libnvrtc.so.11.2).
/// </summary>
internal static unsafe class NvrtcNativeMethods
{
    public const string EnvironmentVariable = "RESSHIFT_NVRTC";
    public const string Description = "NVRTC, the CUDA runtime compiler (libnvrtc.so.13/.12/.11.2)";
    public static readonly string[] Candidates = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"];

    private static readonly Lazy<Functions> Api = new(Open, LazyThreadSafetyMode.ExecutionAndPublication);

    private static Functions F => Api.Value;

    private sealed class Functions
    {
        public delegate* unmanaged[Cdecl]<int, byte*> GetErrorString;
        public delegate* unmanaged[Cdecl]<int*, int*, int> Version;
        public delegate* unmanaged[Cdecl]<int*, int> GetNumSupportedArchs;
        public delegate* unmanaged[Cdecl]<int*, int> GetSupportedArchs;
        public delegate* unmanaged[Cdecl]<nint*, byte*, byte*, int, byte**, byte**, int> CreateProgram;
        public delegate* unmanaged[Cdecl]<nint*, int> DestroyProgram;
        public delegate* unmanaged[Cdecl]<nint, int, byte**, int> CompileProgram;
        public delegate* unmanaged[Cdecl]<nint, nuint*, int> GetPTXSize;
        public delegate* unmanaged[Cdecl]<nint, byte*, int> GetPTX;
        public delegate* unmanaged[Cdecl]<nint, nuint*, int> GetCUBINSize; // null before NVRTC 11.1
        public delegate* unmanaged[Cdecl]<nint, byte*, int> GetCUBIN;
        public delegate* unmanaged[Cdecl]<nint, nuint*, int> GetProgramLogSize;
        public delegate* unmanaged[Cdecl]<nint, byte*, int> GetProgramLog;
    }

    private static Functions Open()
    {
        nint lib = GpuLibraryLoader.Load(Description, EnvironmentVariable, Candidates);
        nint E(string symbol) => GpuLibraryLoader.Export(lib, "NVRTC", symbol);
        return new Functions
        {
            GetErrorString = (delegate* unmanaged[Cdecl]<int, byte*>)E("nvrtcGetErrorString"),
            Version = (delegate* unmanaged[Cdecl]<int*, int*, int>)E("nvrtcVersion"),
            GetNumSupportedArchs = (delegate* unmanaged[Cdecl]<int*, int>)E("nvrtcGetNumSupportedArchs"),
            GetSupportedArchs = (delegate* unmanaged[Cdecl]<int*, int>)E("nvrtcGetSupportedArchs"),
            CreateProgram = (delegate* unmanaged[Cdecl]<nint*, byte*, byte*, int, byte**, byte**, int>)E("nvrtcCreateProgram"),
            DestroyProgram = (delegate* unmanaged[Cdecl]<nint*, int>)E("nvrtcDestroyProgram"),
            CompileProgram = (delegate* unmanaged[Cdecl]<nint, int, byte**, int>)E("nvrtcCompileProgram"),
            GetPTXSize = (delegate* unmanaged[Cdecl]<nint, nuint*, int>)E("nvrtcGetPTXSize"),
            GetPTX = (delegate* unmanaged[Cdecl]<nint, byte*, int>)E("nvrtcGetPTX"),
            GetCUBINSize = (delegate* unmanaged[Cdecl]<nint, nuint*, int>)GpuLibraryLoader.TryExport(lib, "nvrtcGetCUBINSize"),
            GetCUBIN = (delegate* unmanaged[Cdecl]<nint, byte*, int>)GpuLibraryLoader.TryExport(lib, "nvrtcGetCUBIN"),
            GetProgramLogSize = (delegate* unmanaged[Cdecl]<nint, nuint*, int>)E("nvrtcGetProgramLogSize"),
            GetProgramLog = (delegate* unmanaged[Cdecl]<nint, byte*, int>)E("nvrtcGetProgramLog"),
        };
    }

    private static void Check(int rc, string call, string? log = null)
    {
        if (rc != 0)
            throw new NvrtcException(rc, Marshal.PtrToStringUTF8((nint)F.GetErrorString(rc)) ?? "unknown", call, log);
    }

    public static (int Major, int Minor) Version()
    {
        int major, minor;
        Check(F.Version(&major, &minor), "nvrtcVersion");
        return (major, minor);
    }

    /// <summary>Virtual architectures this NVRTC can target, e.g. 52, 60, ..., 90.</summary>
    public static int[] SupportedArchitectures()
    {
        int n;
        Check(F.GetNumSupportedArchs(&n), "nvrtcGetNumSupportedArchs");
        var archs = new int[n];
        fixed (int* p = archs)
            Check(F.GetSupportedArchs(p), "nvrtcGetSupportedArchs");
        return archs;
    }

    /// <summary>Whether this NVRTC can hand out machine code (nvrtcGetCUBIN, NVRTC 11.1+).</summary>
    public static bool CanEmitCubin => F.GetCUBIN != null && F.GetCUBINSize != null;

    /// <summary>Compiles <paramref name="source"/> with the given in-memory headers; returns the PTX (NUL-terminated) and the log.</summary>
    public static (byte[] Ptx, string Log) CompileToPtx(string source, string programName,
        IReadOnlyList<(string Name, string Source)> headers, IReadOnlyList<string> options) =>
        Compile(source, programName, headers, options, cubin: false);

    /// <summary>
    /// Compiles to machine code for one real architecture (options must name sm_XX): the module then loads
    /// without the driver's PTX JIT (which needs libnvidia-ptxjitcompiler and is slow at start-up).
    /// </summary>
    public static (byte[] Cubin, string Log) CompileToCubin(string source, string programName,
        IReadOnlyList<(string Name, string Source)> headers, IReadOnlyList<string> options) =>
        Compile(source, programName, headers, options, cubin: true);

    private static (byte[] Image, string Log) Compile(string source, string programName,
        IReadOnlyList<(string Name, string Source)> headers, IReadOnlyList<string> options, bool cubin)
    {
        if (cubin && !CanEmitCubin) throw new EntryPointNotFoundException("this NVRTC has no nvrtcGetCUBIN (NVRTC 11.1 or newer needed)");
        var pinned = new List<GCHandle>();
        byte* Utf8(string s)
        {
            var h = GCHandle.Alloc(Encoding.UTF8.GetBytes(s + "\0"), GCHandleType.Pinned);
            pinned.Add(h);
            return (byte*)h.AddrOfPinnedObject();
        }
        nint program = 0;
        try
        {
            byte** headerSources = stackalloc byte*[Math.Max(1, headers.Count)];
            byte** headerNames = stackalloc byte*[Math.Max(1, headers.Count)];
            for (int i = 0; i < headers.Count; i++)
            {
                headerSources[i] = Utf8(headers[i].Source);
                headerNames[i] = Utf8(headers[i].Name);
            }
            Check(F.CreateProgram(&program, Utf8(source), Utf8(programName), headers.Count, headerSources, headerNames), "nvrtcCreateProgram");
            byte** opts = stackalloc byte*[Math.Max(1, options.Count)];
            for (int i = 0; i < options.Count; i++) opts[i] = Utf8(options[i]);
            int rc = F.CompileProgram(program, options.Count, opts);
            string log = ReadLog(program);
            Check(rc, $"nvrtcCompileProgram({programName}, {string.Join(' ', options)})", log);
            nuint size;
            if (cubin)
            {
                Check(F.GetCUBINSize(program, &size), "nvrtcGetCUBINSize");
                if (size == 0) throw new NvrtcException(0, "empty cubin", "nvrtcGetCUBIN (was a virtual compute_XX architecture given?)", log);
                var image = new byte[(int)size];
                fixed (byte* p = image)
                    Check(F.GetCUBIN(program, p), "nvrtcGetCUBIN");
                return (image, log);
            }
            Check(F.GetPTXSize(program, &size), "nvrtcGetPTXSize");
            var ptx = new byte[(int)size];
            fixed (byte* p = ptx)
                Check(F.GetPTX(program, p), "nvrtcGetPTX");
            return (ptx, log);
        }
        finally
        {
            if (program != 0) F.DestroyProgram(&program);
            foreach (var h in pinned) h.Free();
        }
    }

    private static string ReadLog(nint program)
    {
        nuint size;
        if (F.GetProgramLogSize(program, &size) != 0 || size <= 1) return "";
        var log = new byte[(int)size];
        fixed (byte* p = log)
            if (F.GetProgramLog(program, p) != 0) return "";
        return Encoding.UTF8.GetString(log, 0, log.Length - 1);
    }
}
