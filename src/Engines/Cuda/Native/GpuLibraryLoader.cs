using System.Runtime.InteropServices;

namespace ResShift.Engines.Cuda.Native;

/// <summary>
/// Opens one of the GPU libraries (driver, NVRTC, TensorRT shim) at run time, so the CPU build never needs
/// them. An environment variable, when set, names the only file tried: a wrong path is an error, not a silent
/// switch to another library.
/// </summary>
internal static class GpuLibraryLoader
{
    public static nint Load(string what, string? environmentVariable, IReadOnlyList<string> candidates)
    {
        string? forced = environmentVariable is null ? null : Environment.GetEnvironmentVariable(environmentVariable);
        IReadOnlyList<string> names = string.IsNullOrEmpty(forced) ? candidates : [forced];
        var failures = new List<string>();
        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out nint handle))
                return handle;
            failures.Add(name);
        }
        throw new GpuLibraryNotFoundException(what, names, environmentVariable);
    }

    /// <summary>The export, or an exception naming the symbol and library (an older library lacks newer calls).</summary>
    public static nint Export(nint library, string libraryName, string symbol) =>
        NativeLibrary.TryGetExport(library, symbol, out nint address)
            ? address
            : throw new EntryPointNotFoundException($"{libraryName} has no export '{symbol}'; the installed version is too old for ResShift Pipeline.");

    public static nint TryExport(nint library, string symbol) =>
        NativeLibrary.TryGetExport(library, symbol, out nint address) ? address : 0;
}
