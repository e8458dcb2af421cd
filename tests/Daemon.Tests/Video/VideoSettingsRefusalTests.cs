using System.Text.Json;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Tests.Configuration;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;

namespace ResShift.Daemon.Tests.Video;

/// <summary>Video keys are checked at start-up like every other key: exit 2, one line per problem, suggestions for typos.</summary>
public sealed class VideoSettingsRefusalTests
{
    [Fact]
    public void Bad_video_settings_stop_the_real_daemon_with_exit_2_and_one_line_each()
    {
        string dir = Repo.TempDir();
        string a = Directory.CreateDirectory(Path.Combine(dir, "a")).FullName, b = Directory.CreateDirectory(Path.Combine(dir, "b")).FullName;
        string c = Directory.CreateDirectory(Path.Combine(dir, "c")).FullName;
        string config = Path.Combine(dir, "resshift.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            ModelsDir = Repo.Engines,
            Video = new { Codec = "prores", Crf = 20 },
            Watch = new object[]
            {
                new { Root = a, Video = new { Codek = "x264" } },
                new { Root = b, Video = new { Codec = "ffv2", NoiseMode = "perframe", SegmentFrames = -1, Container = "mp5" } },
                new { Root = c, Video = new { Codec = "x264", Preset = "medum", PixelFormat = "rgb24" } },
            },
        }));
        var (code, error) = ServeRun.Run(config);
        Assert.Equal(2, code);
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("resshift serve: ", StringComparison.Ordinal)).ToArray();
        Assert.Contains("resshift serve: unknown key 'Watch[0].Video.Codek'; did you mean 'Watch[0].Video.Codec'?", lines);
        Assert.Contains(lines, l => l.StartsWith("resshift serve: Video defaults: Video: ProRes has no CRF", StringComparison.Ordinal));
        Assert.Contains($"resshift serve: watch root {b}: Video.Codec 'ffv2' is not one of auto, x264, x265, svt-av1, prores, ffv1; did you mean 'ffv1'?", lines);
        Assert.Contains($"resshift serve: watch root {b}: Video.NoiseMode 'perframe' is not one of shared, per-frame, zero; did you mean 'per-frame'?", lines);
        Assert.Contains($"resshift serve: watch root {b}: Video.SegmentFrames must be >= 0 (0 = at most 10 s of video; got -1)", lines);
        Assert.Contains($"resshift serve: watch root {b}: Video.Container 'mp5' is not one of mkv, same; did you mean 'mkv'?", lines);
        Assert.Contains(lines, l => l.StartsWith($"resshift serve: watch root {c}: Video: 'medum' is not an x264/x265 preset", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"resshift serve: watch root {c}: Video: x264 does not take pixel format 'rgb24'", StringComparison.Ordinal));
        // Root a inherits the defaults' ProRes + CRF: its own line too, so the operator sees every root it breaks.
        Assert.Contains(lines, l => l.StartsWith($"resshift serve: watch root {a}: Video: ProRes has no CRF", StringComparison.Ordinal));
        Assert.Equal(9, lines.Length);
    }

    [Fact]
    public void A_roots_keys_override_the_defaults_one_by_one_and_reach_the_job_options()
    {
        var defaults = new VideoSettings { Codec = "x265", Crf = 20, NoiseMode = "zero", SegmentFrames = 30 };
        VideoSettings root = new VideoSettings { Crf = 12, Interlaced = "refuse", Container = "same" }.Over(defaults);
        Assert.Empty(root.Problems("root"));
        var options = root.ToOptions("tiny-x4", Pipeline.Processing.JobSettings.Default, "folder");
        Assert.Equal(VideoCodec.X265, options.Encoder.Codec);
        Assert.Equal(12, options.Encoder.Crf);
        Assert.Equal(NoiseMode.Zero, options.Noise);
        Assert.Equal(InterlacePolicy.Refuse, options.Interlace);
        Assert.Equal(30, options.SegmentFrames);
        Assert.Equal(ContainerMode.Same, root.ContainerMode);
        // Defaults alone are the product's: auto codec, MKV.
        Assert.Equal(ContainerMode.Mkv, new VideoSettings().ContainerMode);
        Assert.Equal(VideoCodec.Auto, new VideoSettings().ToOptions("m", Pipeline.Processing.JobSettings.Default, "folder").Encoder.Codec);
    }
}
