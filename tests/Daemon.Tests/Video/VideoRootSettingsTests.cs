using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Daemon.Tests.Video;

/// <summary>
/// Per-root video settings on the real daemon: a root with Codec ffv1 gives an FFV1 output (the settings shown in its
/// sidecar); a root with Container same keeps an mp4 in mp4 (its AAC track with it) and falls back to MKV for a webm
/// that cannot hold the restored H.264, saying why. Every video is read by ffmpeg through the daemon's descriptor.
/// </summary>
public sealed class VideoRootSettingsTests
{
    [Fact]
    public async Task Root_settings_choose_the_codec_and_the_container_and_ffmpeg_reads_the_daemons_descriptor()
    {
        string work = Repo.TempDir();
        string ffv1Root = Directory.CreateDirectory(Path.Combine(work, "ffv1")).FullName;
        string sameRoot = Directory.CreateDirectory(Path.Combine(work, "same")).FullName;
        string staging = Directory.CreateDirectory(Path.Combine(work, "staging")).FullName;
        await Clips.MakeAsync(staging, "lossless.mp4", frames: 2);
        await Clips.MakeAsync(staging, "lossless.mov", frames: 3); // same stem: its own spool, and the next free output name
        await FfmpegAsync("-f", "lavfi", "-i", "testsrc2=s=32x24:r=25", "-f", "lavfi", "-i", "sine=d=1", "-frames:v", "2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", Path.Combine(staging, "kept.mp4"));
        await FfmpegAsync("-f", "lavfi", "-i", "testsrc2=s=32x24:r=25", "-frames:v", "2", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
            Path.Combine(staging, "web.webm"));

        using DaemonProcess daemon = DaemonProcess.Start(work,
        [
            new { Root = ffv1Root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, Video = new { Codec = "ffv1" } },
            new { Root = sameRoot, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, Video = new { Container = "same" } },
        ], threads: 2);
        await WatchFixtures.WaitUntil(() => Directory.Exists(Path.Combine(sameRoot, "inbox")) && Directory.Exists(Path.Combine(ffv1Root, "inbox")), TimeSpan.FromSeconds(60), daemon.Log);
        File.Move(Path.Combine(staging, "lossless.mp4"), Path.Combine(ffv1Root, "inbox", "lossless.mp4"));
        File.Move(Path.Combine(staging, "lossless.mov"), Path.Combine(ffv1Root, "inbox", "lossless.mov"));
        File.Move(Path.Combine(staging, "kept.mp4"), Path.Combine(sameRoot, "inbox", "kept.mp4"));
        File.Move(Path.Combine(staging, "web.webm"), Path.Combine(sameRoot, "inbox", "web.webm"));

        string ffv1Out = Path.Combine(ffv1Root, "outbox", "lossless.mkv"), keptOut = Path.Combine(sameRoot, "outbox", "kept.mp4"), webOut = Path.Combine(sameRoot, "outbox", "web.mkv");
        string ffv1Out2 = Path.Combine(ffv1Root, "outbox", "lossless-2.mkv");
        await WatchFixtures.WaitUntil(() => File.Exists(ffv1Out + ".resshift.json") && File.Exists(ffv1Out2 + ".resshift.json") && File.Exists(keptOut + ".resshift.json") && File.Exists(webOut + ".resshift.json"),
            TimeSpan.FromSeconds(120), () => daemon.Log() + string.Join(", ", WatchFixtures.Files(work)));

        // Two inputs named lossless.*: two outputs, neither replaced, each sidecar naming its own input and frames.
        var byInput = new Dictionary<string, string>();
        foreach (string output in new[] { ffv1Out, ffv1Out2 })
        {
            Assert.Equal("ffv1,yuv444p", await ProbeAsync(output, "v:0", "stream=codec_name,pix_fmt"));
            using JsonDocument doc = JsonDocument.Parse(await File.ReadAllBytesAsync(output + ".resshift.json"));
            byInput[doc.RootElement.GetProperty("input").GetProperty("name").GetString()!] = output;
            Assert.Equal(Path.GetFileName(output), doc.RootElement.GetProperty("output").GetProperty("name").GetString());
        }
        Assert.Equal(2, await Clips.FramesAsync(byInput["lossless.mp4"]));
        Assert.Equal(3, await Clips.FramesAsync(byInput["lossless.mov"]));
        using (JsonDocument s = JsonDocument.Parse(await File.ReadAllBytesAsync(ffv1Out + ".resshift.json")))
        {
            Assert.Equal("ffv1", s.RootElement.GetProperty("video").GetProperty("settings").GetProperty("codec").GetString());
            Assert.Equal("ffv1", s.RootElement.GetProperty("video").GetProperty("encoder").GetProperty("codec").GetString());
            // ffmpeg was handed the daemon's own descriptor of the claimed file, not its path.
            Assert.Contains(s.RootElement.GetProperty("video").GetProperty("command_lines").EnumerateArray(), c => c.GetString()!.Contains($"file:/proc/{daemon.Pid}/fd/"));
            Assert.DoesNotContain(s.RootElement.GetProperty("video").GetProperty("command_lines").EnumerateArray(), c => c.GetString()!.Contains("processing/lossless."));
        }

        Assert.Equal("mov,mp4,m4a,3gp,3g2,mj2", await ProbeAsync(keptOut, null, "format=format_name"));
        Assert.Equal("h264\naac", await ProbeAsync(keptOut, null, "stream=codec_name"));
        Assert.Equal(2, await Clips.FramesAsync(keptOut));
        using (JsonDocument s = JsonDocument.Parse(await File.ReadAllBytesAsync(keptOut + ".resshift.json")))
        {
            JsonElement c = s.RootElement.GetProperty("video").GetProperty("container");
            Assert.Equal("mp4", c.GetProperty("chosen").GetString());
            Assert.Equal(0, c.GetProperty("fallback_reasons").GetArrayLength());
        }

        Assert.Equal("matroska,webm", await ProbeAsync(webOut, null, "format=format_name"));
        using (JsonDocument s = JsonDocument.Parse(await File.ReadAllBytesAsync(webOut + ".resshift.json")))
        {
            JsonElement c = s.RootElement.GetProperty("video").GetProperty("container");
            Assert.Equal("webm", c.GetProperty("input").GetString());
            Assert.Equal("mkv", c.GetProperty("chosen").GetString());
            Assert.Contains("webm does not carry h264 video", c.GetProperty("fallback_reasons")[0].GetString());
        }

        foreach (string root in new[] { ffv1Root, sameRoot })
        {
            Assert.Empty(WatchFixtures.Files(Path.Combine(root, "processing")));
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root, ".resshift-video")));
        }
        Assert.Equal(["kept.mp4", "web.webm"], WatchFixtures.Files(Path.Combine(sameRoot, "done")));
        Assert.False(daemon.HasExited);
    }

    private static Task FfmpegAsync(params string[] args) =>
        ChildProcess.RunAsync(FfmpegTools.Default.Ffmpeg, ["-nostdin", "-v", "error", "-y", .. args], CancellationToken.None);

    private static async Task<string> ProbeAsync(string path, string? stream, string entries)
    {
        string[] select = stream is null ? [] : ["-select_streams", stream];
        string text = await ChildProcess.RunAsync(FfmpegTools.Default.Ffprobe, ["-v", "error", .. select, "-show_entries", entries, "-of", "csv=p=0", path], CancellationToken.None);
        return string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.TrimEnd(',').Trim('"')));
    }
}
