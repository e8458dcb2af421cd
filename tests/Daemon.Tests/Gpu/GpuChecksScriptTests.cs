using System.Diagnostics;
using ResShift.Daemon.Tests.Restore;
using Xunit.Abstractions;

namespace ResShift.Daemon.Tests.Gpu;

/// <summary>
/// scripts/gpu-checks.sh in a fake GPU machine without a GPU: an nvidia-smi that fails, a python that hangs, a
/// file named libnvrtc.so.13 that is no library. The script must still write its facts, give every step a
/// PASS/FAIL/SKIP line with a reason, keep the loader's reason, and end inside its deadline.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // a bash script for Linux GPU machines
public class GpuChecksScriptTests(ITestOutputHelper log)
{
    private sealed record Run(int Code, TimeSpan Elapsed, string Facts, string Report, string Steps, string[] OutFiles);

    private static string Executable()
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        string path = Path.Combine(Repo.Root(), "src", "Daemon", "bin", configuration, "net10.0", "resshift");
        return File.Exists(path) ? path : throw new FileNotFoundException($"build src/Daemon first ({path} is missing)");
    }

    private Run RunScript(int deadlineSeconds)
    {
        string dir = Repo.TempDir();
        string bin = Directory.CreateDirectory(Path.Combine(dir, "bin")).FullName;
        string root = Directory.CreateDirectory(Path.Combine(dir, "root")).FullName;
        string pub = Directory.CreateDirectory(Path.Combine(dir, "publish")).FullName;
        string output = Path.Combine(dir, "out");
        void Script(string path, string text)
        {
            File.WriteAllText(path, "#!/usr/bin/env bash\n" + text + "\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Script(Path.Combine(bin, "nvidia-smi"), "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"; exit 9");
        Script(Path.Combine(bin, "python3"), "sleep 60");
        Script(Path.Combine(pub, "resshift"), $"exec '{Executable()}' \"$@\"");
        File.WriteAllText(Path.Combine(root, "libnvrtc.so.13"), new string('x', 512));

        var start = new ProcessStartInfo("bash", [Path.Combine(Repo.Root(), "scripts", "gpu-checks.sh"), pub]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["OUT"] = output;
        start.Environment["GPU_CHECKS_WORK"] = Path.Combine(dir, "work");
        start.Environment["GPU_CHECKS_PYTHON"] = Path.Combine(bin, "python3");
        start.Environment["GPU_CHECKS_FACT_TIMEOUT"] = "2";
        start.Environment["GPU_CHECKS_FIND_ROOTS"] = root;
        start.Environment["GPU_CHECKS_DEADLINE"] = deadlineSeconds.ToString();
        start.Environment.Remove("RESSHIFT_NVRTC");
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(deadlineSeconds + 60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"gpu-checks.sh ran past its {deadlineSeconds} s deadline + 60 s");
        }
        log.WriteLine(stdout.Result + stderr.Result);
        string Read(string name) => File.ReadAllText(Path.Combine(output, name));
        return new Run(process.ExitCode, clock.Elapsed, Read("facts.txt"), Read("report.txt"), Read("steps.log"),
            Directory.GetFiles(output, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Without_a_gpu_the_run_completes_with_facts_and_a_reason_for_every_failed_or_skipped_step()
    {
        Run run = RunScript(deadlineSeconds: 120);
        Assert.NotEqual(0, run.Code); // the selftest fails: there is no driver
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(120), $"took {run.Elapsed}");
        foreach (string section in new[] { "## nvidia-smi", "## glibc", "## GLIBCXX", "## tools", "## torch", "## libraries found", "## TensorRT" })
            Assert.Contains(section, run.Facts);
        Assert.Contains("NVIDIA-SMI has failed", run.Facts);
        Assert.Contains("timed out after 2s", run.Facts); // the hanging python did not hold the run
        Assert.Matches(@"RESSHIFT_NVRTC=\S+/libnvrtc\.so\.13", run.Facts);

        Assert.Contains("PASS version", run.Report);
        Assert.Matches(@"FAIL selftest: exit 1 after \d+s: FAIL nvrtc compile", run.Report);
        Assert.Contains("invalid ELF header", run.Steps); // the loader's reason survives into the report
        Assert.Contains("SKIP tensorrt: TensorRT absent", run.Report);
        Assert.Contains("PASS auto-falls-back-with-reason", run.Report);
        Assert.Contains("PASS tensorrt-refuses-without-engines", run.Report);
        Assert.Contains("SKIP torch-baseline: no PyTorch with CUDA", run.Report);
        Assert.Matches(@"gpu-checks: \d+ passed, 1 failed, 2 skipped", run.Report);
        foreach (string line in run.Report.Split('\n').Where(l => l.StartsWith("FAIL") || l.StartsWith("SKIP")))
            Assert.Matches(@"^(FAIL|SKIP) [\w-]+: \S.{10,}", line);
        Assert.True(run.OutFiles.Length <= 8, $"{run.OutFiles.Length} files under OUT; the device tool returns at most 8");
    }

    [Fact]
    public void Past_the_deadline_steps_are_skipped_with_that_reason()
    {
        Run run = RunScript(deadlineSeconds: 5); // the facts alone take longer here (the hanging python)
        Assert.Contains("## nvidia-smi", run.Facts);
        Assert.Contains("SKIP version: overall deadline of 5s reached", run.Report);
        Assert.DoesNotContain("PASS", run.Report);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(60), $"took {run.Elapsed}");
    }
}
