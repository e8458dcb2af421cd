namespace ResShift.Engines.OnnxRuntime;

/// <summary>Facts about the loaded ONNX Runtime library. Touching any member loads it (once per process).</summary>
public static class OrtRuntime
{
    /// <summary>GetVersionString of the loaded library, e.g. "1.32.0".</summary>
    public static string Version => OrtEnvironment.Instance.GetVersionString();

    /// <summary>The file the library was loaded from, and why that one (package or override).</summary>
    public static string Describe() => $"ONNX Runtime {Version} from {OrtLibrary.LoadedPath() ?? "(unknown path)"} ({OrtLibrary.Source})";
}
