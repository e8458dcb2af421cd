using System.Diagnostics;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Cli;

/// <summary>
/// RESSHIFT_ORT_LIB points the official C# API at another ONNX Runtime build. A resolver can be installed only
/// before the first load, so each case is a fresh `resshift models verify` process.
/// </summary>
public sealed class OrtLibraryOverrideTests : IDisposable
{
    private readonly string _dir = Repo.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> Verify(string library)
    {
        var psi = new ProcessStartInfo(DaemonProcess.Executable(), ["models", "verify", "tiny-x4", "--models-dir", Repo.Engines])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.Environment["RESSHIFT_ORT_LIB"] = library;
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task The_named_library_is_the_one_loaded()
    {
        // A copy of the packaged library under another folder: proof the override, not the package, was loaded.
        string packaged = Path.Combine(Path.GetDirectoryName(DaemonProcess.Executable())!, "runtimes", "linux-x64", "native", "libonnxruntime.so");
        string copy = Path.Combine(_dir, "libonnxruntime.so");
        File.Copy(packaged, copy);
        var (code, stdout, stderr) = await Verify(copy);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.Contains($"runtime: ONNX Runtime 1.32.0 from {copy} ($RESSHIFT_ORT_LIB={copy})", stdout);
        Assert.Contains("denoiser  PASS", stdout);
    }

    [Fact]
    public async Task A_missing_library_is_a_clear_error_not_a_fallback()
    {
        string missing = Path.Combine(_dir, "nope", "libonnxruntime.so");
        var (code, stdout, stderr) = await Verify(missing);
        Assert.Equal(1, code);
        Assert.Contains($"RESSHIFT_ORT_LIB={missing}", stderr);
        Assert.Contains("could not be loaded", stderr);
        Assert.DoesNotContain("PASS", stdout);
        Assert.DoesNotContain("   at ", stderr); // a message, not a stack trace
    }
}
