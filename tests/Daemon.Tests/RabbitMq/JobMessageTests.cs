using System.Text;
using ResShift.Daemon.Inputs;
using ResShift.Daemon.Inputs.RabbitMq;
using ResShift.Daemon.Inputs.RabbitMq.Segments;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Tiling;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Tests.RabbitMq;

/// <summary>Message schema and path confinement, without a broker.</summary>
public class JobMessageTests
{
    private static JobMessage Parse(string json) => JobMessage.Parse(Encoding.UTF8.GetBytes(json), 64 * 1024);

    [Fact]
    public void ParsesAFullMessage()
    {
        JobMessage m = Parse("""{"id":"a1","input":"in/x.png","output":"out/x.png","model":"tiny-x4","options":{"seed":7,"noise_scale":0.5,"overlap":8,"blend":"average"}}""");
        Assert.Equal(new JobMessage("a1", "in/x.png", "out/x.png", "tiny-x4", new JobOptions(7, 0.5, 8, BlendMode.Average)), m);
        Assert.Equal(new JobOptions(null, null, null, null), Parse("""{"id":"a","input":"i.png","output":"o.png","options":null}""").Options);
    }

    [Theory]
    [InlineData("[1]", "must be a JSON object")]
    [InlineData("""{"id":"","input":"i","output":"o"}""", "'id' must not be empty")]
    [InlineData("""{"id":"a","id":"b","input":"i","output":"o"}""", "appears twice")]
    [InlineData("""{"id":"a","input":["i"],"output":"o"}""", "'input' must be a string, not an array")]
    [InlineData("""{"id":"a","input":"i","output":"o","options":{"seed":-1}}""", "options.seed")]
    [InlineData("""{"id":"a","input":"i","output":"o","options":{"overlap":1.5}}""", "options.overlap")]
    [InlineData("""{"id":"a","input":"i","output":"o","options":{"blend":"smooth"}}""", "options.blend")]
    [InlineData("""{"id":"a","input":"i","output":"o","options":{"noise_scale":-0.1}}""", "[0, 1]")]
    [InlineData("""{"id":"a","input":"i","output":"o","model":3}""", "'model' must be a string")]
    public void RefusesWithAReason(string json, string reason)
    {
        var e = Assert.Throws<JobRejectedException>(() => Parse(json));
        Assert.Equal("message", e.Kind);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void ParsesVideoEncoderSettings()
    {
        JobMessage m = Parse("""{"id":"v","input":"in/a.mkv","output":"out/a.mkv","video":{"codec":"x265","crf":20,"preset":"slow","pix_fmt":"yuv420p10le","noise_mode":"per-frame","segment_frames":48,"split":false}}""");
        Assert.Equal(new VideoMessageOptions
        {
            Codec = VideoCodec.X265, Crf = 20, Preset = "slow", PixelFormat = "yuv420p10le", Noise = NoiseMode.PerFrame, SegmentFrames = 48, Split = false,
        }, m.Video);
        VideoJobOptions applied = m.Video!.Apply(new VideoJobOptions { Model = "tiny-x4" });
        Assert.Equal((VideoCodec.X265, 20, "slow", "yuv420p10le", NoiseMode.PerFrame, 48, "tiny-x4"),
            (applied.Encoder.Codec, applied.Encoder.Crf, applied.Encoder.Preset, applied.Encoder.PixelFormat, applied.Noise, applied.SegmentFrames, applied.Model));
        Assert.Null(Parse("""{"id":"v","input":"i.mkv","output":"o.mkv"}""").Video);
        Assert.Equal(EncoderSettings.Default, Parse("""{"id":"v","input":"i.mkv","output":"o.mkv","video":{}}""").Video!.Apply(VideoJobOptions.Default).Encoder);
    }

    [Theory]
    [InlineData("""{"codecs":"x264"}""", "unknown property 'video.codecs'")]
    [InlineData("""{"codec":"mpeg2"}""", "unknown video codec 'mpeg2'")]
    [InlineData("""{"crf":64}""", "'video.crf' must be an integer in 0..63")]
    [InlineData("""{"crf":"16"}""", "'video.crf'")]
    [InlineData("""{"preset":"turbo"}""", "'video.preset' must be one of")]
    [InlineData("""{"pix_fmt":"yuv420p -y"}""", "'video.pix_fmt'")]
    [InlineData("""{"noise_mode":"random"}""", "'video.noise_mode'")]
    [InlineData("""{"segment_frames":0}""", "'video.segment_frames'")]
    [InlineData("""{"split":"yes"}""", "'video.split' must be true or false")]
    [InlineData("""[1]""", "'video' must be an object")]
    public void RefusesBadVideoSettingsWithAReason(string video, string reason)
    {
        var e = Assert.Throws<JobRejectedException>(() => Parse($$"""{"id":"v","input":"i.mkv","output":"o.mkv","video":{{video}}}"""));
        Assert.Equal("message", e.Kind);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void SegmentMessagesRoundTripAndAreParsedStrictly()
    {
        var m = new SegmentMessage("job-1", "abc123", "/r/in/a.mkv", "/r/out/a.mkv", 3, 8);
        Assert.Equal(m, SegmentMessage.Parse(m.ToJson(), 64 * 1024));
        Assert.Equal("job-1#segment-3", m.MessageId);
        foreach (var (json, reason) in new[]
        {
            ("""{"job_id":"j","plan_id":"p","input":"i","output":"o","segment":8,"segments":8}""", "not below 'segments'"),
            ("""{"job_id":"j","plan_id":"p","input":"i","output":"o","segment":0,"segments":1,"model":"x"}""", "unknown property 'model'"),
            ("""{"job_id":"j","input":"i","output":"o","segment":0,"segments":1}""", "'plan_id'"),
            ("""{"job_id":"j","plan_id":"p","input":"i","output":"o","segment":-1,"segments":1}""", "'segment' must be a non-negative integer"),
            ("""{"job_id":""", "not valid JSON"),
        })
        {
            var e = Assert.Throws<JobRejectedException>(() => SegmentMessage.Parse(Encoding.UTF8.GetBytes(json), 64 * 1024));
            Assert.Equal("message", e.Kind);
            Assert.Contains(reason, e.Message);
        }
    }

    [Fact]
    public void RefusesLongIdsAndOversizedBodies()
    {
        Assert.Contains("limit is 200", Assert.Throws<JobRejectedException>(() => Parse($$"""{"id":"{{new string('x', 201)}}","input":"i","output":"o"}""")).Message);
        Assert.Contains("limit is 1024", Assert.Throws<JobRejectedException>(() => JobMessage.Parse(new byte[2000], 1024)).Message);
        Assert.Contains("not UTF-8", Assert.Throws<JobRejectedException>(() => JobMessage.Parse(new byte[] { 0xff, 0xfe, 0x7b }, 1024)).Message);
    }

    [Fact]
    public void PathsStayInsideTheRootsAfterNormalisationAndSymlinks()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        Directory.CreateDirectory(Path.Combine(root, "in"));
        File.WriteAllText(Path.Combine(root, "in", "a.png"), "x");
        File.WriteAllText(Path.Combine(work, "secret.png"), "x");
        File.CreateSymbolicLink(Path.Combine(root, "in", "link.png"), Path.Combine(work, "secret.png"));
        using var guard = new PathGuard([root]);
        RootedPath a = guard.Input("in/a.png");

        Assert.Equal(Path.Combine(root, "in", "a.png"), a.Full);
        Assert.Equal(Path.Combine(root, "in", "a.png"), guard.Input(Path.Combine(root, "out", "..", "in", "a.png")).Full);
        Assert.Equal(Path.Combine(root, "new", "dir", "b.png"), guard.Output("new/dir/b.png", a).Full);
        foreach (string bad in new[] { "../secret.png", Path.Combine(work, "secret.png"), "in/link.png", "/etc/passwd", "in/../../secret.png" })
            Assert.Equal("path", Assert.Throws<JobRejectedException>(() => guard.Input(bad)).Kind);
        Assert.Equal("input", Assert.Throws<JobRejectedException>(() => guard.Input("in/none.png")).Kind);
        Assert.Contains("image extension", Assert.Throws<JobRejectedException>(() => guard.Output("out/x.txt", a)).Message);
        Assert.Contains("input file itself", Assert.Throws<JobRejectedException>(() => guard.Output("in/a.png", a)).Message);
        Assert.Contains("image extension", Assert.Throws<JobRejectedException>(() => guard.Output("in/b.png.resshift.json", a)).Message);
    }

    [Fact]
    public void A_queue_videos_spool_is_a_flat_name_from_the_relative_output_in_the_roots_own_spool_folder_held_by_descriptor()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), other = Path.Combine(work, "other");
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(other);
        using (var guard = new PathGuard([root, other]))
        {
            // Named through this process's descriptor of ROOT/.resshift-video (created on first use), never through out/sub.
            string spool = guard.Spool("out/sub/clip.mkv");
            string held = Path.GetDirectoryName(spool)!;
            Assert.StartsWith($"/proc/{Environment.ProcessId}/fd/", held);
            Assert.Equal(Path.Combine(root, ".resshift-video"), new DirectoryInfo(held).ResolveLinkTarget(returnFinalTarget: false)!.FullName);
            Assert.Equal(QueueSpool.NameFor("out/sub/clip.mkv"), Path.GetFileName(spool));
            Assert.False(Directory.Exists(Path.Combine(root, "out")), "finding the spool created the output's folders");
            Assert.Equal(spool, guard.Spool(Path.Combine(root, "out", "sub", "clip.mkv"))); // absolute or relative: one spool
            Assert.Equal(held, Path.GetDirectoryName(guard.Spool("other.mkv"))); // one held folder per root
            Assert.StartsWith(Path.Combine(other, ".resshift-video"), new DirectoryInfo(Path.GetDirectoryName(guard.Spool(Path.Combine(other, "x.mkv")))!).ResolveLinkTarget(false)!.FullName);
            Directory.CreateDirectory(spool);
            File.WriteAllText(Path.Combine(spool, "plan.json"), "{}");
            Assert.True(File.Exists(Path.Combine(root, ".resshift-video", Path.GetFileName(spool), "plan.json")));

            // The root is a watch root too: its start-up prune leaves a queue video's spool alone.
            using (var rootDir = Pipeline.Files.RootDirectory.Open(root))
            using (var processing = rootDir.OpenDirectory("processing"))
                Assert.Equal(0, ResShift.Daemon.Inputs.Video.VideoSpool.Prune(rootDir, processing));
            Assert.True(File.Exists(Path.Combine(spool, "plan.json")), "a watch root's prune removed a queue video's spool");
            Assert.Equal("path", Assert.Throws<JobRejectedException>(() => guard.Spool(Path.Combine(work, "outside.mkv"))).Kind);
        }

        // The root's spool folder swapped for a link before first use: refused, nothing created through it.
        string evil = Directory.CreateDirectory(Path.Combine(work, "evil")).FullName;
        string linked = Directory.CreateDirectory(Path.Combine(work, "linked")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(linked, ".resshift-video"), evil);
        using (var guard = new PathGuard([linked]))
        {
            var e = Assert.Throws<JobRejectedException>(() => guard.Spool("out/clip.mkv"));
            Assert.Equal("path", e.Kind);
            Assert.Contains("symlink", e.Message);
        }
        Assert.Empty(Directory.GetFileSystemEntries(evil));
    }

    [Fact]
    public void Spool_names_are_deterministic_distinct_per_relative_output_sanitised_and_short()
    {
        string a = QueueSpool.NameFor("out/sub/clip.mkv");
        Assert.Equal(a, QueueSpool.NameFor("out/sub/clip.mkv"));
        Assert.Matches("^[0-9a-f]{32}-clip\\.mkv\\.resshift-segments$", a);
        Assert.NotEqual(a[..32], QueueSpool.NameFor("out/other/clip.mkv")[..32]);
        string odd = QueueSpool.NameFor("out/" + new string('\u00e9', 200) + " x/../'$(rm).mkv");
        Assert.Matches("^[0-9a-f]{32}-[A-Za-z0-9._-]+\\.resshift-segments$", odd);
        Assert.InRange(Encoding.UTF8.GetByteCount(QueueSpool.NameFor("out/" + new string('\u00e9', 250) + ".mkv")), 1, 160);
    }
}
