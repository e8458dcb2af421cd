using ResShift.Engines.OnnxRuntime;

namespace ResShift.Engines.Tests.OnnxRuntime;

/// <summary>
/// The library the official package brings, loaded for real. The RESSHIFT_ORT_LIB override is exercised in a
/// separate process (Daemon.Tests, OrtLibraryOverrideTests): a resolver can be installed only before the first load.
/// </summary>
public class LibraryTests
{
    [Fact]
    public void Loaded_library_is_the_packaged_version()
    {
        Assert.Equal(OrtLibrary.PackageVersion, OrtRuntime.Version);
        Assert.Equal("1.32.0", OrtLibrary.PackageVersion);
    }

    [Fact]
    public void Library_comes_from_the_package_next_to_the_application_unless_overridden()
    {
        _ = OrtRuntime.Version;
        var loaded = OrtLibrary.LoadedPath();
        Assert.NotNull(loaded);
        Assert.True(File.Exists(loaded), loaded);
        if (OrtLibrary.OverridePath is { } path)
            Assert.Equal(Path.GetFullPath(path), loaded);
        else
            Assert.StartsWith(AppContext.BaseDirectory, loaded);
        Assert.Contains(loaded, OrtRuntime.Describe());
    }

    [Fact]
    public void Error_code_and_native_message_are_split_from_the_official_message()
    {
        var inner = Assert.Throws<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(() => new Microsoft.ML.OnnxRuntime.InferenceSession("/nonexistent/m.onnx"));
        var error = new OnnxRuntimeException("Loading model '/nonexistent/m.onnx'", inner);
        Assert.Equal("NoSuchFile", error.ErrorCode);
        Assert.DoesNotContain("[ErrorCode", error.NativeMessage);
        Assert.StartsWith("Loading model '/nonexistent/m.onnx': ", error.Message);
        Assert.Same(inner, error.InnerException);
    }
}
