using System.Runtime.InteropServices;

namespace ResShift.Engines.Cuda.Native;

/// <summary>
/// Opens one of the GPU libraries (driver, NVRTC, TensorRT shim) at run time, so the CPU build never needs
/// them. An environment variable, when set, names the only file tried: a wrong path is an error, not a silent
/// switch to another library. The loader's own reason (dlerror: missing file, missing dependency, wrong ELF
/// class, undefined symbol) is kept for every file tried: on a GPU machine it is the whole diagnosis.
/// </summary>
internal static class GpuLibraryLoader
{
    public static nint Load(string what, string? environmentVariable, IReadOnlyList<string> candidates)
    {
        string? forced = environmentVariable is null ? null : Environment.GetEnvironmentVariable(environmentVariable);
        IReadOnlyList<string> names = string.IsNullOrEmpty(forced) ? candidates : [forced];
        var failures = new List<GpuLibraryAttempt>();
        foreach (string name in names)
        {
            try
            {
                return NativeLibrary.Load(name);
            }
            catch (DllNotFoundException e)
            {
                failures.Add(new GpuLibraryAttempt(name, LoaderReason(e.Message)));
            }
            catch (BadImageFormatException e)
            {
                failures.Add(new GpuLibraryAttempt(name, LoaderReason(e.Message)));
            }
        }
        throw new GpuLibraryNotFoundException(what, failures, environmentVariable);
    }

    /// <summary>
    /// The dynamic loader's text out of the runtime's message: .NET writes one fixed sentence, then one dlerror()
    /// line per path it tried ("libx.so: cannot open shared object file: No such file or directory").
    /// </summary>
    public static string LoaderReason(string message)
    {
        string[] lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] detail = lines.Length > 1 ? lines[1..] : lines;
        return detail.Length == 0 ? "no reason given by the loader" : string.Join("; ", detail.Distinct());
    }

    /// <summary>The export, or an exception naming the symbol and library (an older library lacks newer calls).</summary>
    public static nint Export(nint library, string libraryName, string symbol) =>
        NativeLibrary.TryGetExport(library, symbol, out nint address)
            ? address
            : throw new EntryPointNotFoundException($"{libraryName} has no export '{symbol}'; the installed version is too old for ResShift Pipeline.");

    public static nint TryExport(nint library, string symbol) =>
        NativeLibrary.TryGetExport(library, symbol, out nint address) ? address : 0;
}
