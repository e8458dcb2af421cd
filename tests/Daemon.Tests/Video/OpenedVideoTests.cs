using System.Security.Cryptography;
using ResShift.Daemon.Inputs.Video;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Video.Processes;
using ResShift.Pipeline.Video;

namespace ResShift.Daemon.Tests.Video;

/// <summary>
/// A claimed video is read by ffprobe and ffmpeg through the descriptor the daemon opened (/proc/PID/fd/N): once it
/// is open, swapping its path for a link to another video changes nothing they read; a link is never opened at all.
/// </summary>
public sealed class OpenedVideoTests
{
    [Fact]
    public async Task Ffmpeg_reads_the_opened_file_even_after_its_path_is_swapped_for_a_link()
    {
        string dir = Repo.TempDir();
        string clip = await Clips.MakeAsync(dir, "clip.mp4", frames: 3);
        string other = await Clips.MakeAsync(dir, "other.mp4", frames: 5, size: "64x48");
        byte[] original = await File.ReadAllBytesAsync(clip);
        using RootDirectory root = RootDirectory.Open(dir);
        using OpenedVideo opened = OpenedVideo.Open(root, "clip.mp4");
        Assert.StartsWith($"/proc/{Environment.ProcessId}/fd/", opened.Path);

        File.Delete(clip);
        File.CreateSymbolicLink(clip, other);

        Assert.Equal("32,3", await ProbeAsync(opened.Path)); // probe: the opened file's width and packets, not the link's 64 and 5
        string raw = Path.Combine(dir, "frames.raw");
        await ChildProcess.RunAsync(FfmpegTools.Default.Ffmpeg, ["-nostdin", "-v", "error", "-y", "-i", "file:" + opened.Path, "-f", "rawvideo", "-pix_fmt", "rgb24", raw], CancellationToken.None);
        Assert.Equal(3 * 32 * 24 * 3, new FileInfo(raw).Length); // decode: three 32x24 frames
        await using (var f = File.OpenRead(opened.Path))
            Assert.Equal(SHA256.HashData(original), await SHA256.HashDataAsync(f)); // the digest the job records
        string copy = Path.Combine(dir, "copy.mkv");
        await ChildProcess.RunAsync(FfmpegTools.Default.Ffmpeg, ["-nostdin", "-v", "error", "-y", "-i", "file:" + opened.Path, "-map", "0", "-c", "copy", copy], CancellationToken.None);
        Assert.Equal("32,3", await ProbeAsync(copy)); // mux: the opened file's packets

        // The link itself is refused at open: nothing behind it is read.
        Assert.Throws<UnsafePathException>(() => OpenedVideo.Open(root, "clip.mp4"));
    }

    private static async Task<string> ProbeAsync(string path) =>
        (await ChildProcess.RunAsync(FfmpegTools.Default.Ffprobe,
            ["-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=width,nb_read_packets", "-of", "csv=p=0", "file:" + path], CancellationToken.None)).Trim();
}
