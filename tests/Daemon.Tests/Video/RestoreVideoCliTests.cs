using System.Diagnostics;
using System.Text.Json;
using ResShift.Daemon.Cli;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Video;

/// <summary>`resshift restore clip.mkv -o out/` on tiny-x4: like images, and resumable after SIGKILL (proof item 7).</summary>
public sealed class RestoreVideoCliTests
{
    [Fact]
    public async Task A_clip_and_an_image_in_one_folder_are_both_restored()
    {
        string input = Repo.TempDir(), output = Repo.TempDir();
        await Clips.MakeAsync(input, "clip.mp4", frames: 3);
        File.Copy(Repo.Images("tiny-2x3.png"), Path.Combine(input, "still.png"));
        var o = new StringWriter();
        int code = await ResShiftCli.RunAsync(["restore", input, "-o", output, "--model", "tiny-x4", "--models-dir", Repo.Engines, "--engine", "cpu"], o, o);
        Assert.True(code == 0, o.ToString());
        string video = Path.Combine(output, "clip.mkv");
        Assert.Equal(3, await Clips.FramesAsync(video));
        Assert.True(File.Exists(Path.Combine(output, "still.png")));
        using JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(video + ".resshift.json"));
        JsonElement d = sidecar.RootElement.GetProperty("video").GetProperty("decisions");
        Assert.Equal("bt601", d.GetProperty("matrix").GetString());
        Assert.Equal(128, d.GetProperty("width").GetInt32() * 4);
        Assert.Equal(3, sidecar.RootElement.GetProperty("video").GetProperty("checks").GetProperty("frames_out").GetInt32());
        Assert.Contains(sidecar.RootElement.GetProperty("video").GetProperty("command_lines").EnumerateArray(), c => c.GetString()!.Contains("in_color_matrix=bt601"));
        Assert.Contains("2 restored, 0 failed", o.ToString());
    }

    [Fact]
    public async Task Sigkill_mid_video_resumes_at_the_first_uncommitted_segment_with_identical_bytes()
    {
        string dir = Repo.TempDir();
        string clip = await Clips.MakeAsync(dir, "clip.mkv", frames: 16);
        string[] common = ["restore", clip, "--model", "tiny-x4", "--models-dir", Repo.Engines, "--engine", "cpu", "--segment-frames", "2", "--batch", "1", "--threads", "1"];

        string straight = Path.Combine(dir, "straight", "clip.mkv");
        Assert.Equal(0, await RunAsync([.. common, "-o", straight]));

        string resumed = Path.Combine(dir, "resumed", "clip.mkv");
        string spool = Path.Combine(dir, "resumed", ".clip.mkv.resshift-segments");
        using (Process p = Start([.. common, "-o", resumed]))
        {
            // Kill as soon as segment 0 is committed: segment 1 (of 8) is then on its way.
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(spool, "segment-00000.json")))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), "segment 0 was never committed");
                Assert.False(p.HasExited, "the restore finished before it could be killed");
                await Task.Delay(5);
            }
            p.Kill();
            await p.WaitForExitAsync();
        }
        Assert.False(File.Exists(resumed), "a killed run left an output");
        string record0 = await File.ReadAllTextAsync(Path.Combine(spool, "segment-00000.json"));
        DateTime committedAt = File.GetLastWriteTimeUtc(Path.Combine(spool, "segment-00000.mkv"));

        Assert.Equal(0, await RunAsync([.. common, "-o", resumed]));
        Assert.Equal(await File.ReadAllBytesAsync(straight), await File.ReadAllBytesAsync(resumed));
        Assert.False(Directory.Exists(spool), "the spool was not cleaned");
        using JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(resumed + ".resshift.json"));
        int resumedSegments = sidecar.RootElement.GetProperty("video").GetProperty("segments_resumed").GetInt32();
        Assert.InRange(resumedSegments, 1, 7); // segment 0 at least was taken, not recomputed; at least one was not done
        Assert.Contains(JsonDocument.Parse(record0).RootElement.GetProperty("outputSha256").GetString()!,
            sidecar.RootElement.GetProperty("video").GetProperty("segments")[0].GetProperty("sha256").GetString());
        Assert.True(committedAt <= File.GetLastWriteTimeUtc(resumed));
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

    private static async Task<int> RunAsync(string[] args)
    {
        using Process p = Start(args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(timeout.Token);
        return p.ExitCode;
    }
}
