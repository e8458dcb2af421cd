using ResShift.Pipeline.Video.Processes;

namespace ResShift.Pipeline.Video.Probing;

/// <summary>Runs ffprobe on a file: the container and streams, the first frame's HDR10 side data, the video packets' pts.</summary>
public sealed class VideoProber(FfmpegTools tools)
{
    public async Task<MediaProbe> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        string json = await ChildProcess.RunAsync(tools.Ffprobe,
            ["-v", "error", "-of", "json", "-show_format", "-show_streams", "-show_chapters", "-count_packets", ProbeInput(path)],
            cancellationToken).ConfigureAwait(false);
        return ProbeParser.Parse(json);
    }

    public async Task<Hdr10Metadata?> ProbeHdr10Async(string path, int streamIndex, CancellationToken cancellationToken)
    {
        string json = await ChildProcess.RunAsync(tools.Ffprobe,
            ["-v", "error", "-of", "json", "-select_streams", streamIndex.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-read_intervals", "%+#1", "-show_frames", "-show_entries", "frame=side_data_list", ProbeInput(path)],
            cancellationToken).ConfigureAwait(false);
        return ProbeParser.ParseHdr10(json);
    }

    /// <summary>
    /// The pts of every packet of one stream, in file (decode) order, in the stream's time base. Reading every
    /// packet is also the damage check: an error the demuxer reports on the way ("File ended prematurely")
    /// throws <see cref="DamagedMediaException"/> instead of restoring part of a video as if it were whole.
    /// </summary>
    public async Task<List<long>> PacketPtsAsync(string path, int streamIndex, CancellationToken cancellationToken)
    {
        (string json, string stderr) = await ChildProcess.RunWithStderrAsync(tools.Ffprobe,
            ["-v", "error", "-of", "json", "-select_streams", streamIndex.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-show_entries", "packet=pts", "-show_packets", ProbeInput(path)],
            cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(stderr)) throw new DamagedMediaException(ChildProcess.Tail(stderr, 4));
        return ProbeParser.ParsePacketPts(json);
    }

    /// <summary>"file:" + the full path: a name starting with '-' or holding ':' is never read as an option or protocol.</summary>
    public static string ProbeInput(string path) => "file:" + Path.GetFullPath(path);
}

/// <summary>The demuxer reported errors while reading the packets: a truncated or corrupt file.</summary>
public sealed class DamagedMediaException(string detail) : Exception($"the file is damaged or truncated: {detail}");
