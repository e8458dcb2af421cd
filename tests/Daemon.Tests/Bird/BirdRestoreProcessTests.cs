using System.Diagnostics;
using System.Text.Json;
using ResShift.Daemon.Tests.Cli;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using ResShift.Pipeline.Bird;
using Xunit.Abstractions;

namespace ResShift.Daemon.Tests.Bird;

/// <summary>`resshift restore --model bird-tiny` as a user runs it: errors, outputs, and SIGKILL + resume on the real process.</summary>
public sealed class BirdRestoreProcessTests(ITestOutputHelper output)
{
    private static string[] Args(string input, string outPath, int iterations) =>
        ["restore", input, "-o", outPath, "--models-dir", Repo.Engines, "--model", "bird-tiny", "--task", "deblur",
         "--iterations", iterations.ToString(), "--checkpoint-every", "5", "--batch", "1", "--threads", "1", "--seed", "3"];

    [Fact]
    public async Task Input_of_the_wrong_size_is_refused_with_a_clear_error()
    {
        string dir = Repo.TempDir();
        string input = BirdInputs.PhotoCrop(dir, 40);
        var (code, stdout, _) = await CliRun.Run(["restore", input, "-o", Path.Combine(dir, "out.png"), "--models-dir", Repo.Engines,
            "--model", "bird-tiny", "--task", "denoise", "--iterations", "1"]);
        Assert.Equal(1, code);
        Assert.Contains("is 40×40; model 'bird-tiny' accepts only 32×32 images", stdout);
        Assert.False(File.Exists(Path.Combine(dir, "out.png")));
        var (code2, _, stderr2) = await CliRun.Run(["restore", input, "-o", Path.Combine(dir, "out.png"), "--models-dir", Repo.Engines,
            "--model", "bird-tiny", "--task", "inpaint"]);
        Assert.Equal(2, code2);
        Assert.Contains("task inpaint needs --mask", stderr2);
    }

    [Fact]
    public async Task Deblur_writes_image_kernel_png_and_sidecar_with_the_kernel_numbers()
    {
        string dir = Repo.TempDir();
        string input = BirdInputs.PhotoCrop(dir, 32);
        string outPath = Path.Combine(dir, "out.png");
        var (code, stdout, _) = await CliRun.Run(Args(input, outPath, 3));
        Assert.True(code == 0, stdout);
        Assert.Contains("30 UNet calls", stdout);
        using var sidecar = JsonDocument.Parse(File.ReadAllText(outPath + ".resshift.json"));
        JsonElement k = sidecar.RootElement.GetProperty("bird").GetProperty("kernel");
        float[] values = [.. k.GetProperty("values").EnumerateArray().Select(v => v.GetSingle())];
        Assert.Equal(41 * 41, values.Length);
        Assert.InRange(values.Sum(), 0.999f, 1.001f); // softmax output: a normalised kernel
        Assert.All(values, v => Assert.True(v > 0));
        Assert.Equal(3, sidecar.RootElement.GetProperty("bird").GetProperty("losses").GetArrayLength());
        byte[] png = File.ReadAllBytes(Path.Combine(dir, "out.kernel.png"));
        Assert.Equal(16, png[24]); // IHDR bit depth: 16-bit
        Assert.Equal(0, png[25]); // colour type 0: grayscale
        Assert.False(File.Exists(outPath + ".bird-checkpoint"), "the checkpoint is removed once the output is written");
    }

    [Fact]
    public async Task A_job_killed_mid_run_resumes_from_its_checkpoint_and_writes_the_same_bytes()
    {
        string dir = Repo.TempDir();
        string input = BirdInputs.PhotoCrop(dir, 32);
        const int iterations = 60;
        string straight = Path.Combine(dir, "straight", "out.png"), killed = Path.Combine(dir, "killed", "out.png");
        Directory.CreateDirectory(Path.GetDirectoryName(straight)!);
        Directory.CreateDirectory(Path.GetDirectoryName(killed)!);
        Assert.Equal(0, await RunProcess(Args(input, straight, iterations), TimeSpan.FromMinutes(2)));

        // Second run: SIGKILL once a checkpoint exists and before the end.
        using (var p = Start(Args(input, killed, iterations)))
        {
            var sw = Stopwatch.StartNew();
            int seen = 0;
            while (sw.Elapsed < TimeSpan.FromMinutes(1) && !p.HasExited)
            {
                try { seen = BirdCheckpoint.TryLoad(killed + ".bird-checkpoint")?.Iteration ?? 0; }
                catch (IOException) { }
                if (seen >= 10) break;
                await Task.Delay(10);
            }
            Assert.False(p.HasExited, "the run finished before it could be killed");
            p.Kill(); // SIGKILL
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"killed after the checkpoint of iteration {seen}");
        }
        Assert.False(File.Exists(killed), "no output before the job finished");
        int checkpointed = BirdCheckpoint.TryLoad(killed + ".bird-checkpoint")!.Iteration;
        Assert.InRange(checkpointed, 10, iterations - 1);

        Assert.Equal(0, await RunProcess(Args(input, killed, iterations), TimeSpan.FromMinutes(2)));
        using var sidecar = JsonDocument.Parse(File.ReadAllText(killed + ".resshift.json"));
        int resumedFrom = sidecar.RootElement.GetProperty("bird").GetProperty("resumed_from").GetInt32();
        output.WriteLine($"resumed from iteration {resumedFrom}");
        Assert.True(resumedFrom >= checkpointed, $"resumed from {resumedFrom}, checkpoint was at {checkpointed}");
        Assert.Equal(File.ReadAllBytes(straight), File.ReadAllBytes(killed));
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "straight", "out.kernel.png")), File.ReadAllBytes(Path.Combine(dir, "killed", "out.kernel.png")));
        using var s1 = JsonDocument.Parse(File.ReadAllText(straight + ".resshift.json"));
        Assert.Equal(s1.RootElement.GetProperty("bird").GetProperty("kernel").GetProperty("values").GetRawText(), sidecar.RootElement.GetProperty("bird").GetProperty("kernel").GetProperty("values").GetRawText());
    }

    private static Process Start(string[] args)
    {
        var psi = new ProcessStartInfo(DaemonProcess.Executable(), args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task<int> RunProcess(string[] args, TimeSpan timeout)
    {
        using var p = Start(args);
        try { await p.WaitForExitAsync().WaitAsync(timeout); }
        catch (TimeoutException) { p.Kill(); throw; }
        return p.ExitCode;
    }
}
