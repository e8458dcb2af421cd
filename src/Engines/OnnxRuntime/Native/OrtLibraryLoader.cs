using System.Runtime.InteropServices;

namespace ResShift.Engines.OnnxRuntime.Native;

/// <summary>Loads the ONNX Runtime shared library and finds its single C entry point, <c>OrtGetApiBase</c>.</summary>
internal static class OrtLibraryLoader
{
    public static nint LoadLibrary(OrtLibraryChoice choice)
    {
        try
        {
            return NativeLibrary.Load(choice.Path);
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
        {
            throw new DllNotFoundException(
                $"ONNX Runtime is not available: '{choice.Path}' (from the {choice.Source}) could not be loaded. " +
                $"Run `make setup` (it fetches ONNX Runtime {OrtRuntime.ExpectedVersion} into {OrtLibraryLocator.ToolsRelativePath}) " +
                $"or set {OrtLibraryLocator.EnvironmentVariable} to the full path of a libonnxruntime.so.1. Loader said: {ex.Message}", ex);
        }
    }

    public static nint GetApiBaseEntryPoint(nint library, OrtLibraryChoice choice)
    {
        if (NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var entry))
            return entry;
        throw new EntryPointNotFoundException(
            $"'{choice.Path}' has no OrtGetApiBase export; it is not an ONNX Runtime library. " +
            $"Run `make setup` or set {OrtLibraryLocator.EnvironmentVariable}.");
    }
}
