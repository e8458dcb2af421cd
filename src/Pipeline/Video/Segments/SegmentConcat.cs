using System.Globalization;
using System.Text;
using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Processes;
using ResShift.Pipeline.Video.Codec;

namespace ResShift.Pipeline.Video.Segments;

/// <summary>
/// Joins committed segments into one video stream without re-encoding. Each entry of the ffconcat list gets
/// an explicit duration (frames × the exact frame duration): without it, joins at 24000/1001 drift (35.75 ms
/// over 60 s on Debian's ffmpeg 5.1).
/// </summary>
public static class SegmentConcat
{
    public static string List(SegmentStore store, IReadOnlyList<Segment> segments, Rational rate)
    {
        var sb = new StringBuilder("ffconcat version 1.0\n");
        foreach (Segment s in segments)
        {
            sb.Append("file '").Append(store.PathOf(s).Replace("'", "'\\''")).Append("'\n");
            decimal duration = (decimal)s.Frames * rate.Den / rate.Num;
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"duration {duration:0.#########}\n"));
        }
        return sb.ToString();
    }

    public static async Task<string> JoinAsync(FfmpegTools tools, SegmentStore store, IReadOnlyList<Segment> segments, Rational rate, string output, CancellationToken cancellationToken,
        string listName = "segments.ffconcat")
    {
        string listPath = Path.Combine(store.Directory, listName);
        await File.WriteAllTextAsync(listPath, List(store, segments, rate.IsValid ? rate : new Rational(25, 1)), cancellationToken).ConfigureAwait(false);
        using ChildProcess p = ChildProcess.Start(tools.Ffmpeg,
            ["-nostdin", "-hide_banner", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", "file:" + listPath,
             "-map", "0:v:0", "-c", "copy", "-fflags", "+bitexact", "-f", "matroska", "file:" + Path.GetFullPath(output)],
            cancellationToken);
        await p.WaitAsync(cancellationToken).ConfigureAwait(false);
        return p.CommandLine;
    }
}
