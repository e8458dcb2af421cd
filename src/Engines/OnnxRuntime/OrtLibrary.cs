using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// Which ONNX Runtime native library the official C# API loads. By default the one inside the
/// Microsoft.ML.OnnxRuntime package (found through the application's deps.json, resolved by the package's own
/// resolver). <c>RESSHIFT_ORT_LIB</c> names another build instead (e.g. a GPU build installed elsewhere): it is
/// loaded by full path, with no fallback, so a wrong path is an error and never a silent switch to the CPU build.
/// The override must be ONNX Runtime <see cref="PackageVersion"/> or later (the C# API asks for its own C API
/// version; older libraries refuse it).
/// </summary>
public static class OrtLibrary
{
    public const string EnvironmentVariable = "RESSHIFT_ORT_LIB";

    /// <summary>The version of the Microsoft.ML.OnnxRuntime package this build references.</summary>
    public const string PackageVersion = "1.32.0";

    private static readonly object Gate = new();
    private static bool _installed;

    /// <summary>The override path, or null when the package's own library is used.</summary>
    public static string? OverridePath => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } p ? p.Trim() : null;

    /// <summary>Where the library came from, for error messages and logs.</summary>
    public static string Source => OverridePath is { } path ? $"${EnvironmentVariable}={path}" : $"the Microsoft.ML.OnnxRuntime {PackageVersion} package";

    /// <summary>
    /// Installs the override resolver before the C# API's first native call (its static initialiser loads the
    /// library). Called by <see cref="OrtEnvironment"/>, through which every ORT object of ours is made.
    /// </summary>
    internal static void EnsureResolver()
    {
        lock (Gate)
        {
            if (_installed)
                return;
            _installed = true;
            if (OverridePath is not { } path)
                return;
            // One resolver per assembly: the package's own must be switched off for ours to be installed.
            OrtEnv.DisableDllImportResolver = true;
            NativeLibrary.SetDllImportResolver(typeof(OrtEnv).Assembly, (name, _, _) => Resolve(name, path));
        }
    }

    // Anything else the API imports takes the default search. A load failure propagates: OrtEnvironment
    // turns it into one message that names the variable.
    private static nint Resolve(string name, string path) =>
        name.Contains("onnxruntime", StringComparison.Ordinal) ? NativeLibrary.Load(path) : 0;

    /// <summary>The file the process actually mapped (read from /proc/self/maps), once ONNX Runtime is loaded.</summary>
    public static string? LoadedPath()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
            return null;
        foreach (var line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/');
            if (slash >= 0 && Path.GetFileName(line.AsSpan(slash)).StartsWith("libonnxruntime.so", StringComparison.Ordinal))
                return line[slash..];
        }
        return null;
    }
}
