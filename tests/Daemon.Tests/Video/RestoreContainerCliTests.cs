using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Daemon.Tests.Video;

/// <summary>
/// <c>resshift restore clip.mp4 -o out/ --container same|mkv</c> as a real process on tiny-x4: the input's container
/// when it can carry the result, else MKV with the reason in the sidecar and on stdout; a bad value is a usage error.
/// </summary>
public sealed class RestoreContainerCliTests
{
    private const int Frames = 3;

    [Fact]
    public async Task Same_keeps_an_mp4_with_h264_and_aac_as_mp4()
    {
        string dir = Repo.TempDir();
        string clip = await MakeMp4WithAudioAsync(dir);
        string output = Path.Combine(dir, "out");

        (int code, string stdout, string stderr) = await RunAsync(["restore", clip, "-o", output + "/", "--container", "same", .. TinyModel]);

        Assert.True(code == 0, stdout + stderr);
        string mp4 = Path.Combine(output, "clip.mp4");
        Assert.True(File.Exists(mp4), stdout);
        Assert.False(File.Exists(Path.Combine(output, "clip.mkv")), "an MKV was left beside the mp4");
        Assert.False(Directory.Exists(Path.Combine(output, ".resshift-video")), "the staging folder was not removed");
        Assert.Equal(["video h264", "audio aac"], await StreamsAsync(mp4));
        Assert.Equal("mov,mp4,m4a,3gp,3g2,mj2", await FormatAsync(mp4));
        Assert.Equal(Frames, await Clips.FramesAsync(mp4));
        Assert.DoesNotContain("written as MKV", stdout);

        using JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(mp4 + ".resshift.json"));
        JsonElement container = sidecar.RootElement.GetProperty("video").GetProperty("container");
        Assert.Equal("same", container.GetProperty("mode").GetString());
        Assert.Equal("mp4", container.GetProperty("chosen").GetString());
        Assert.Equal(0, container.GetProperty("fallback_reasons").GetArrayLength());
        Assert.Equal("clip.mp4", sidecar.RootElement.GetProperty("output").GetProperty("name").GetString());
        Assert.Equal("mp4", sidecar.RootElement.GetProperty("video").GetProperty("encoder").GetProperty("container").GetString());
        Assert.Contains(sidecar.RootElement.GetProperty("video").GetProperty("command_lines").EnumerateArray(), c => c.GetString()!.Contains("-f mp4"));
    }

    [Fact]
    public async Task Same_falls_back_to_mkv_naming_the_stream_that_forced_it()
    {
        string dir = Repo.TempDir();
        string clip = await MakeMp4WithAudioAsync(dir);
        string output = Path.Combine(dir, "out");

        // mp4 does not carry FFV1: ContainerChoice refuses, and nothing is dropped to keep the container.
        (int code, string stdout, string stderr) = await RunAsync(["restore", clip, "-o", output + "/", "--container", "same", "--codec", "ffv1", .. TinyModel]);

        Assert.True(code == 0, stdout + stderr);
        string mkv = Path.Combine(output, "clip.mkv");
        Assert.True(File.Exists(mkv), stdout);
        Assert.False(File.Exists(Path.Combine(output, "clip.mp4")), "an mp4 was written although mp4 cannot carry FFV1");
        Assert.False(Directory.Exists(Path.Combine(output, ".resshift-video")), "the staging folder was not removed");
        Assert.Equal(["video ffv1", "audio aac"], await StreamsAsync(mkv));
        Assert.Equal(Frames, await Clips.FramesAsync(mkv));

        using JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(mkv + ".resshift.json"));
        JsonElement container = sidecar.RootElement.GetProperty("video").GetProperty("container");
        Assert.Equal("mkv", container.GetProperty("chosen").GetString());
        Assert.Equal("mp4", container.GetProperty("input").GetString());
        string reason = Assert.Single(container.GetProperty("fallback_reasons").EnumerateArray()).GetString()!;
        Assert.Contains("mp4 does not carry ffv1 video", reason);
        Assert.Equal("clip.mkv", sidecar.RootElement.GetProperty("output").GetProperty("name").GetString());

        string line = Assert.Single(stdout.Split('\n'), l => l.Contains("written as MKV"));
        Assert.StartsWith("clip.mp4: written as MKV", line);
        Assert.Contains("not mp4", line);
        Assert.Contains("mp4 does not carry ffv1 video", line);
    }

    [Theory]
    [InlineData("same")] // both fall back (neither mp4 nor mov carries FFV1) to clip.mkv after restoring
    [InlineData("mkv")] // both are clip.mkv from the start: one job each, never one shared segment spool
    public async Task Two_inputs_of_one_mkv_name_get_two_outputs(string mode)
    {
        string dir = Repo.TempDir();
        string input = Path.Combine(dir, "in");
        Directory.CreateDirectory(input);
        await MakeMp4WithAudioAsync(input);
        await MakeMp4WithAudioAsync(input, "clip.mov");
        string output = Path.Combine(dir, "out");

        string[] codec = mode == "same" ? ["--codec", "ffv1"] : [];
        (int code, string stdout, string stderr) = await RunAsync(["restore", input, "-o", output, "--container", mode, .. codec, .. TinyModel]);

        Assert.True(code == 0, stdout + stderr);
        var inputs = new List<string>();
        foreach (string name in new[] { "clip.mkv", "clip-2.mkv" })
        {
            string path = Path.Combine(output, name);
            Assert.Equal(Frames, await Clips.FramesAsync(path));
            using JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(path + ".resshift.json"));
            Assert.Equal(name, sidecar.RootElement.GetProperty("output").GetProperty("name").GetString());
            inputs.Add(sidecar.RootElement.GetProperty("input").GetProperty("name").GetString()!);
        }
        Assert.Equal(["clip.mov", "clip.mp4"], inputs.Order());
        Assert.Single(stdout.Split('\n'), l => l.Contains("is another input's output in this run"));
        Assert.Equal(mode == "same" ? 2 : 0, stdout.Split('\n').Count(l => l.Contains("written as MKV")));
    }

    [Fact]
    public async Task A_bad_container_is_a_usage_error_naming_the_valid_values()
    {
        string dir = Repo.TempDir();
        string clip = Path.Combine(dir, "clip.mp4");
        await File.WriteAllBytesAsync(clip, [0]); // never read: the option is refused at parse time
        string output = Path.Combine(dir, "out");

        (int code, string stdout, string stderr) = await RunAsync(["restore", clip, "-o", output, "--container", "bogus", .. TinyModel]);

        Assert.Equal(2, code);
        Assert.Contains("--container must be one of mkv, same, got 'bogus'", stderr);
        Assert.False(Directory.Exists(output), "a refused command created its output folder");
        Assert.DoesNotContain("restored", stdout);
    }

    [Fact]
    public async Task Skip_existing_with_same_leaves_an_input_whose_mp4_exists()
    {
        string dir = Repo.TempDir();
        string clip = await MakeMp4WithAudioAsync(dir);
        string output = Path.Combine(dir, "out");
        Directory.CreateDirectory(output);
        string existing = Path.Combine(output, "clip.mp4");
        await File.WriteAllTextAsync(existing, "an earlier output");

        (int code, string stdout, string stderr) = await RunAsync(["restore", clip, "-o", output, "--container", "same", "--skip-existing", .. TinyModel]);

        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("0 restored, 0 failed, 1 skipped", stdout);
        Assert.Equal("an earlier output", await File.ReadAllTextAsync(existing));
        Assert.False(File.Exists(Path.Combine(output, "clip.mkv")));
    }

    private static readonly string[] TinyModel = ["--model", "tiny-x4", "--models-dir", Repo.Engines, "--engine", "cpu", "--threads", "1"];

    /// <summary>A 3-frame h264 + aac mp4 (or mov, by the name) from lavfi.</summary>
    private static async Task<string> MakeMp4WithAudioAsync(string dir, string name = "clip.mp4")
    {
        string path = Path.Combine(dir, name);
        await ChildProcess.RunAsync(FfmpegTools.Default.Ffmpeg,
            ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=32x24:r=25", "-f", "lavfi", "-i", "sine=f=440:sample_rate=48000",
             "-frames:v", Frames.ToString(CultureInfo.InvariantCulture), "-t", "0.12", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", path],
            CancellationToken.None);
        return path;
    }

    /// <summary>"kind codec" per stream, in order.</summary>
    private static async Task<string[]> StreamsAsync(string path)
    {
        string text = await ChildProcess.RunAsync(FfmpegTools.Default.Ffprobe,
            ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", path], CancellationToken.None);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(',')).Select(f => $"{f[1]} {f[0]}")];
    }

    private static async Task<string> FormatAsync(string path) =>
        (await ChildProcess.RunAsync(FfmpegTools.Default.Ffprobe, ["-v", "error", "-show_entries", "format=format_name", "-of", "default=nw=1:nk=1", path], CancellationToken.None)).Trim();

    /// <summary>bin/resshift as a child process, stdout and stderr captured, killed after 60 s.</summary>
    private static async Task<(int Code, string Out, string Err)> RunAsync(string[] args)
    {
        var psi = new ProcessStartInfo(DaemonProcess.Executable(), args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            throw new TimeoutException($"resshift {string.Join(' ', args)} did not exit within 60 s");
        }
        return (p.ExitCode, await stdout, await stderr);
    }
}
