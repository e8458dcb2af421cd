using System.Globalization;
using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>Small test videos made at test time by ffmpeg's lavfi sources (Debian's ffmpeg, installed by scripts/setup.sh).</summary>
internal sealed class VideoFixtures : IDisposable
{
    public VideoFixtures()
    {
        Directory = Path.Combine(Path.GetTempPath(), "resshift-video-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }
    public FfmpegTools Tools { get; } = FfmpegTools.Default;

    public string PathOf(string name) => Path.Combine(Directory, name);

    public async Task<string> FfmpegAsync(string output, params string[] args)
    {
        string path = PathOf(output);
        await ChildProcess.RunAsync(Tools.Ffmpeg, ["-nostdin", "-hide_banner", "-v", "error", "-y", .. args, path], CancellationToken.None);
        return path;
    }

    /// <summary>testsrc2 (moving pattern) with x264 at a size, rate and duration.</summary>
    public Task<string> CfrAsync(string name, string size = "32x24", string rate = "25", double seconds = 1, params string[] extra) =>
        FfmpegAsync(name, ["-f", "lavfi", "-i", $"testsrc2=s={size}:r={rate}:d={seconds.ToString(CultureInfo.InvariantCulture)}",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", .. extra]);

    /// <summary>25 frames whose pts are 40 ms apart except every third, 15 ms later (a VFR MKV).</summary>
    public Task<string> VfrAsync(string name = "vfr.mkv") =>
        FfmpegAsync(name, "-f", "lavfi", "-i", "testsrc2=s=32x24:r=25:d=1", "-vf", "settb=1/1000,setpts=N*40+15*eq(mod(N\\,3)\\,1)",
            "-fps_mode", "passthrough", "-enc_time_base", "1/1000", "-c:v", "libx264", "-pix_fmt", "yuv420p");

    public async Task<string> RotatedAsync()
    {
        string plain = await CfrAsync("plain.mp4", "32x24");
        return await FfmpegAsync("rotated.mp4", "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90");
    }

    public Task<string> Hdr10Async() =>
        FfmpegAsync("hdr10.mkv", "-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.2", "-pix_fmt", "yuv420p10le", "-c:v", "libx265",
            "-x265-params", "log-level=error:hdr10=1:repeat-headers=1:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:"
            + "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400",
            "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc");

    public Task<string> InterlacedAsync() =>
        FfmpegAsync("interlaced.mkv", "-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-flags", "+ildct+ilme", "-x264opts", "tff=1", "-field_order", "tt");

    /// <summary>An MKV with AAC (language fra) + SRT (eng) + a font attachment + 2 chapters + a title, video starting 23 ms after the audio.</summary>
    public async Task<string> RichMkvAsync(string size = "32x24", double seconds = 1)
    {
        string av = await FfmpegAsync("av.mkv", "-f", "lavfi", "-i", $"testsrc2=s={size}:r=25:d={seconds.ToString(CultureInfo.InvariantCulture)}",
            "-f", "lavfi", "-i", $"sine=f=440:d={seconds.ToString(CultureInfo.InvariantCulture)}",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest");
        string srt = PathOf("subs.srt");
        await File.WriteAllTextAsync(srt, "1\n00:00:00,000 --> 00:00:00,500\nHello\n\n2\n00:00:00,500 --> 00:00:00,900\nWorld\n");
        string chapters = PathOf("chapters.txt");
        await File.WriteAllTextAsync(chapters, ";FFMETADATA1\ntitle=Demo title\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=500\nEND=1000\ntitle=Two\n");
        string font = PathOf("font.ttf");
        await File.WriteAllBytesAsync(font, Enumerable.Range(0, 1500).Select(i => (byte)(i * 7)).ToArray());
        return await FfmpegAsync("rich.mkv", "-i", av, "-i", srt, "-f", "ffmetadata", "-i", chapters,
            "-map", "0", "-map", "1", "-map_metadata", "2", "-map_chapters", "2", "-c", "copy",
            "-metadata:s:a:0", "language=fra", "-metadata:s:s:0", "language=eng",
            "-attach", font, "-metadata:s:t:0", "mimetype=application/x-truetype-font");
    }

    public async Task<MediaProbe> ProbeAsync(string path) => await new VideoProber(Tools).ProbeAsync(path, CancellationToken.None);

    public async Task<List<long>> PacketPtsAsync(string path, int stream = 0) => await new VideoProber(Tools).PacketPtsAsync(path, stream, CancellationToken.None);

    /// <summary>Decodes a video stream to packed rgb24 frames with an explicit matrix and range.</summary>
    public async Task<List<byte[]>> DecodeRgbAsync(string path, int width, int height, string matrix = "bt709", string range = "tv", string format = "rgb24")
    {
        using ChildProcess p = ChildProcess.Start(Tools.Ffmpeg,
            ["-nostdin", "-v", "error", "-i", "file:" + path, "-map", "0:v:0", "-fps_mode", "passthrough",
             "-vf", $"scale=in_color_matrix={matrix}:in_range={range}:flags=bicubic+accurate_rnd+full_chroma_int,format={format}", "-f", "rawvideo", "pipe:1"],
            CancellationToken.None);
        var frames = new List<byte[]>();
        int size = width * height * (format == "rgb48le" ? 6 : 3);
        while (true)
        {
            var f = new byte[size];
            int got = 0;
            while (got < size)
            {
                int n = await p.StandardOutput.ReadAsync(f.AsMemory(got));
                if (n == 0) break;
                got += n;
            }
            if (got == 0) break;
            Assert.Equal(size, got);
            frames.Add(f);
        }
        await p.WaitAsync(CancellationToken.None);
        return frames;
    }

    /// <summary>md5 of one stream's packets copied out (bit-identical streams have equal digests).</summary>
    public async Task<string> StreamMd5Async(string path, string map) =>
        (await ChildProcess.RunAsync(Tools.Ffmpeg, ["-nostdin", "-v", "error", "-i", "file:" + path, "-map", map, "-c", "copy", "-f", "md5", "pipe:1"], CancellationToken.None)).Trim();

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
