namespace ResShift.Engines.OnnxRuntime.Native;

/// <summary>Where the ONNX Runtime shared library comes from, and why that one was picked.</summary>
internal sealed record OrtLibraryChoice(string Path, string Source);

/// <summary>
/// Picks the ONNX Runtime library: <c>RESSHIFT_ORT_LIB</c> when set (no fallback, so a typo is an error rather
/// than a silent switch to another build), else <c>.tools/onnxruntime/lib/libonnxruntime.so.1</c> in the nearest
/// ancestor of the application directory (what <c>make setup</c> fetches), else the system loader's name.
/// </summary>
internal static class OrtLibraryLocator
{
    public const string EnvironmentVariable = "RESSHIFT_ORT_LIB";
    public const string SystemLibraryName = "libonnxruntime.so.1";
    public static readonly string ToolsRelativePath = System.IO.Path.Combine(".tools", "onnxruntime", "lib", SystemLibraryName);

    public static OrtLibraryChoice Resolve(string? environmentValue, string baseDirectory)
    {
        if (!string.IsNullOrWhiteSpace(environmentValue))
            return new OrtLibraryChoice(environmentValue, $"${EnvironmentVariable}");

        for (var dir = new DirectoryInfo(baseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, ToolsRelativePath);
            if (File.Exists(candidate))
                return new OrtLibraryChoice(candidate, $"{ToolsRelativePath} above {baseDirectory}");
        }

        return new OrtLibraryChoice(SystemLibraryName, "system library search path");
    }

    public static OrtLibraryChoice ResolveForProcess() =>
        Resolve(Environment.GetEnvironmentVariable(EnvironmentVariable), AppContext.BaseDirectory);
}
