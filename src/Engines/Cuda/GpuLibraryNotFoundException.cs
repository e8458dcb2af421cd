namespace ResShift.Engines.Cuda;

/// <summary>
/// A GPU library (libcuda.so.1, NVRTC, TensorRT or our shim) could not be loaded; names every file tried with
/// the dynamic loader's reason for each (missing file, missing dependency, wrong architecture...).
/// </summary>
public sealed class GpuLibraryNotFoundException : DllNotFoundException
{
    public GpuLibraryNotFoundException(string what, IReadOnlyList<GpuLibraryAttempt> attempts, string? environmentVariable)
        : base(Format(what, attempts, environmentVariable))
    {
        Library = what;
        Attempts = attempts;
    }

    /// <summary>What was being loaded, e.g. "the NVIDIA driver (libcuda.so.1)".</summary>
    public string Library { get; }

    public IReadOnlyList<GpuLibraryAttempt> Attempts { get; }

    public IReadOnlyList<string> Tried => Attempts.Select(a => a.Name).ToList();

    private static string Format(string what, IReadOnlyList<GpuLibraryAttempt> attempts, string? environmentVariable) =>
        $"{what} is not available: tried {string.Join(", ", attempts.Select(a => $"'{a.Name}' ({a.Reason})"))}." +
        (environmentVariable is null ? "" : $" Set {environmentVariable} to the full path of the library if it is installed elsewhere.") +
        " The GPU engine needs an NVIDIA GPU machine (see docs/GPU.md); use --engine cpu otherwise.";
}

/// <summary>One file the loader tried and the loader's reason for refusing it.</summary>
public sealed record GpuLibraryAttempt(string Name, string Reason);
