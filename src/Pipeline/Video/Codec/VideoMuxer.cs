using System.Globalization;
using System.Text;
using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Pipeline.Video.Codec;

/// <summary>
/// The final mux: the restored video stream with every other stream of the original (audio, subtitles,
/// attachments, cover pictures, data), its chapters and global metadata, copied without re-encoding into MKV.
/// The video start offset relative to the other streams is restored (<c>-itsoffset</c>), and for a VFR
/// source the frames get the source's own timestamps back (mkvmerge <c>--timestamps</c>) first.
/// </summary>
public sealed class VideoMuxer(FfmpegTools tools)
{
    /// <summary>Command lines run, for provenance.</summary>
    public List<string> CommandLines { get; } = [];

    /// <summary>Writes source pts (sorted, relative to the first) as an mkvmerge v2 timestamps file, in ms.</summary>
    public static string TimestampsV2(IReadOnlyList<long> sortedPts, Rational timeBase)
    {
        var sb = new StringBuilder("# timestamp format v2\n");
        long first = sortedPts.Count > 0 ? sortedPts[0] : 0;
        foreach (long p in sortedPts)
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"{(p - first) * 1000.0 * timeBase.Num / timeBase.Den:0.######}\n"));
        return sb.ToString();
    }

    /// <summary>Retimes an encoded video to the given timestamps (VFR sources).</summary>
    public async Task RetimeAsync(string encoded, string timestampsFile, string output, CancellationToken cancellationToken)
    {
        // No statistics tags: they carry the muxing date, which the final mux copies, and two runs would differ in bytes.
        List<string> args = ["--quiet", "--disable-track-statistics-tags", "-o", output, "--timestamps", "0:" + timestampsFile, encoded];
        using ChildProcess p = ChildProcess.Start(tools.Mkvmerge, args, cancellationToken);
        CommandLines.Add(p.CommandLine);
        string stdout = await new StreamReader(p.StandardOutput).ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await p.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ToolFailedException e) when (e.ExitCode == 1 && File.Exists(output))
        {
            // mkvmerge exits 1 for warnings with a complete file.
        }
        catch (ToolFailedException e)
        {
            throw new ToolFailedException(e.Tool, e.ExitCode, (e.StandardError + " " + stdout).Trim(), e.CommandLine);
        }
    }

    public static List<string> BuildArguments(string video, string source, MediaProbe probe, StreamProbe mainVideo, string output)
    {
        double offset = (mainVideo.StartTime ?? 0) - (probe.StartTime ?? 0);
        var args = new List<string>
        {
            "-nostdin", "-hide_banner", "-v", "error", "-y",
            "-itsoffset", offset.ToString("0.######", CultureInfo.InvariantCulture), "-i", "file:" + Path.GetFullPath(video),
            "-i", VideoProber.ProbeInput(source),
            "-map", "0:0",
        };
        foreach (StreamProbe s in probe.Streams)
            if (s.Index != mainVideo.Index) args.AddRange(["-map", "1:" + s.Index.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["-map_metadata", "1", "-map_chapters", "1", "-c", "copy"]);
        if (mainVideo.Language is { } lang) args.AddRange(["-metadata:s:v:0", "language=" + lang]);
        if (mainVideo.Title is { } title) args.AddRange(["-metadata:s:v:0", "title=" + title]);
        args.AddRange(["-fflags", "+bitexact", "-f", "matroska", "file:" + Path.GetFullPath(output)]);
        return args;
    }

    public async Task MuxAsync(string video, string source, MediaProbe probe, StreamProbe mainVideo, string output, CancellationToken cancellationToken)
    {
        using ChildProcess p = ChildProcess.Start(tools.Ffmpeg, BuildArguments(video, source, probe, mainVideo, output), cancellationToken);
        CommandLines.Add(p.CommandLine);
        await p.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies every stream, chapter and tag of a finished Matroska into another container (<see cref="ContainerChoice"/>
    /// has checked it can hold them). HEVC is tagged hvc1, the form Apple players accept in mp4/mov.
    /// </summary>
    public async Task RemuxAsync(string input, MediaProbe probe, OutputContainer container, string output, CancellationToken cancellationToken)
    {
        var args = new List<string>
        {
            "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", "file:" + Path.GetFullPath(input),
            "-map", "0", "-map_metadata", "0", "-map_chapters", "0", "-c", "copy",
        };
        if (container != OutputContainer.Webm && probe.Video?.Codec == "hevc") args.AddRange(["-tag:v", "hvc1"]);
        args.AddRange(["-fflags", "+bitexact", "-f", container.Muxer, "file:" + Path.GetFullPath(output)]);
        using ChildProcess p = ChildProcess.Start(tools.Ffmpeg, args, cancellationToken);
        CommandLines.Add(p.CommandLine);
        await p.WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
