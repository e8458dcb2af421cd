using ResShift.Engines.OnnxRuntime;
using ResShift.Engines.OnnxRuntime.Native;

namespace ResShift.Engines.Tests.OnnxRuntime;

/// <summary>
/// These run against the real library that scripts/fetch-onnxruntime.sh installs. When it is missing they
/// fail (with the loader's message saying to run `make setup`), they never skip.
/// </summary>
public class LibraryTests
{
    [Fact]
    public void Loaded_library_reports_version_1_30_0()
    {
        Assert.Equal("1.30.0", OrtRuntime.Version);
        Assert.Equal(OrtRuntime.ExpectedVersion, OrtRuntime.Version);
    }

    [Fact]
    public void Library_comes_from_the_fetch_script_output_unless_overridden()
    {
        var overridden = Environment.GetEnvironmentVariable(OrtLibraryLocator.EnvironmentVariable);
        var expected = string.IsNullOrWhiteSpace(overridden) ? OrtLibraryLocator.ToolsRelativePath : overridden;
        Assert.EndsWith(expected, OrtRuntime.LibraryPath);
        Assert.True(File.Exists(OrtRuntime.LibraryPath), OrtRuntime.LibraryPath);
    }

    [Fact]
    public void Environment_variable_wins_over_everything()
    {
        var choice = OrtLibraryLocator.Resolve("/opt/ort/libonnxruntime.so.1", AppContext.BaseDirectory);
        Assert.Equal("/opt/ort/libonnxruntime.so.1", choice.Path);
        Assert.Contains(OrtLibraryLocator.EnvironmentVariable, choice.Source);
    }

    [Fact]
    public void Walks_up_to_the_tools_folder_and_falls_back_to_the_system_name()
    {
        var root = Directory.CreateTempSubdirectory("ort-locator-");
        try
        {
            var deep = Directory.CreateDirectory(Path.Combine(root.FullName, "a", "b", "c")).FullName;
            Assert.Equal(OrtLibraryLocator.SystemLibraryName, OrtLibraryLocator.Resolve(null, deep).Path);

            var lib = Path.Combine(root.FullName, OrtLibraryLocator.ToolsRelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(lib)!);
            File.WriteAllBytes(lib, []);
            Assert.Equal(lib, OrtLibraryLocator.Resolve("", deep).Path);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void Missing_library_error_says_how_to_get_one()
    {
        var choice = new OrtLibraryChoice("/nonexistent/libonnxruntime.so.1", "$" + OrtLibraryLocator.EnvironmentVariable);
        var error = Assert.Throws<DllNotFoundException>(() => OrtLibraryLoader.LoadLibrary(choice));
        Assert.Contains("/nonexistent/libonnxruntime.so.1", error.Message);
        Assert.Contains("make setup", error.Message);
        Assert.Contains(OrtLibraryLocator.EnvironmentVariable, error.Message);
    }

    [Fact]
    public void Error_code_names_match_the_C_enum()
    {
        Assert.Equal("ORT_NO_SUCHFILE", OnnxRuntimeException.CodeName(OrtErrorCode.NoSuchFile));
        Assert.Equal("ORT_INVALID_ARGUMENT", OnnxRuntimeException.CodeName(OrtErrorCode.InvalidArgument));
        Assert.Equal("ORT_ERROR_42", OnnxRuntimeException.CodeName((OrtErrorCode)42));
    }
}
