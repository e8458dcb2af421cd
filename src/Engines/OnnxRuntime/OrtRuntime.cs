using ResShift.Engines.OnnxRuntime.Native;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>Facts about the loaded ONNX Runtime library. Touching any member loads it (once per process).</summary>
public static class OrtRuntime
{
    /// <summary>The version <c>scripts/fetch-onnxruntime.sh</c> installs.</summary>
    public const string ExpectedVersion = "1.30.0";

    /// <summary>OrtApiBase::GetVersionString of the loaded library, e.g. "1.30.0".</summary>
    public static string Version => NativeMethods.VersionString;

    /// <summary>The path (or loader name) the library was loaded from.</summary>
    public static string LibraryPath => NativeMethods.LibraryPath;
}
