namespace ResShift.Engines.Cuda;

/// <summary>A GPU library (libcuda.so.1, NVRTC, TensorRT or our shim) could not be loaded; names every file tried.</summary>
public sealed class GpuLibraryNotFoundException : DllNotFoundException
{
    public GpuLibraryNotFoundException(string what, IReadOnlyList<string> tried, string? environmentVariable)
        : base(Format(what, tried, environmentVariable))
    {
        Library = what;
        Tried = tried;
    }

    /// <summary>What was being loaded, e.g. "the NVIDIA driver (libcuda.so.1)".</summary>
    public string Library { get; }

    public IReadOnlyList<string> Tried { get; }

    private static string Format(string what, IReadOnlyList<string> tried, string? environmentVariable) =>
        $"{what} is not available: tried {string.Join(", ", tried.Select(t => $"'{t}'"))}." +
        (environmentVariable is null ? "" : $" Set {environmentVariable} to the full path of the library if it is installed elsewhere.") +
        " The GPU engine needs an NVIDIA GPU machine (see docs/GPU.md); use --engine cpu otherwise.";
}
