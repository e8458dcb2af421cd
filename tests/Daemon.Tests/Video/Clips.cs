using ResShift.Pipeline.Video.Processes;

namespace ResShift.Daemon.Tests.Video;

/// <summary>Tiny clips made by ffmpeg's lavfi sources at test time.</summary>
internal static class Clips
{
    public static async Task<string> MakeAsync(string dir, string name, int frames, string size = "32x24", string rate = "25")
    {
        string path = Path.Combine(dir, name);
        await ChildProcess.RunAsync(FfmpegTools.Default.Ffmpeg,
            ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc2=s={size}:r={rate}", "-frames:v", frames.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-c:v", "libx264", "-pix_fmt", "yuv420p", path], CancellationToken.None);
        return path;
    }

    public static async Task<long> FramesAsync(string path)
    {
        string text = await ChildProcess.RunAsync(FfmpegTools.Default.Ffprobe,
            ["-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path], CancellationToken.None);
        return long.Parse(text.Trim().TrimEnd(','), System.Globalization.CultureInfo.InvariantCulture);
    }
}
