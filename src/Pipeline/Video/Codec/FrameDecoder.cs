using System.Globalization;
using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Pipeline.Video.Codec;

/// <summary>
/// One ffmpeg process decoding the video stream to packed RGB frames on its stdout: every frame exactly once
/// (<c>-fps_mode passthrough</c>: no CFR duplication), YUV→RGB with the decided matrix and range stated
/// explicitly (untagged sources would otherwise get BT.601), deinterlaced with bwdif (one frame per frame)
/// where decided, and rotated by ffmpeg's autorotation (the geometry in the decisions is after rotation).
/// </summary>
public sealed class FrameDecoder : IDisposable
{
    private readonly ChildProcess _process;
    private readonly string _name;

    /// <param name="firstFrame">Frames before this one (in decode output order) are decoded but dropped before the colour conversion.</param>
    public FrameDecoder(FfmpegTools tools, string path, string name, StreamProbe stream, VideoDecisions d, CancellationToken cancellationToken, long firstFrame = 0)
    {
        _name = name;
        FrameBytes = RawFrame.Bytes(d.Width, d.Height, d.BytesPerSample);
        Arguments = BuildArguments(path, stream, d, firstFrame);
        _process = ChildProcess.Start(tools.Ffmpeg, Arguments, cancellationToken);
    }

    public int FrameBytes { get; }
    public IReadOnlyList<string> Arguments { get; }
    public string CommandLine => _process.CommandLine;

    public static List<string> BuildArguments(string path, StreamProbe stream, VideoDecisions d, long firstFrame = 0)
    {
        // select counts the frames it is given from 0, in the order they come out (after bwdif's one frame per frame):
        // the same numbering as frames read from the pipe, so dropping by it is exact, and costs only the decode.
        string filters = (d.Deinterlace ? "bwdif=mode=send_frame:parity=auto:deint=all," : "")
            + (firstFrame > 0 ? $"select=gte(n\\,{firstFrame.ToString(CultureInfo.InvariantCulture)})," : "")
            + $"scale=in_color_matrix={d.Matrix}:in_range={d.Range}:flags=bicubic+accurate_rnd+full_chroma_int,format={d.RawPixelFormat}";
        return
        [
            "-nostdin", "-hide_banner", "-v", "error",
            "-i", VideoProber.ProbeInput(path),
            "-map", "0:" + stream.Index.ToString(CultureInfo.InvariantCulture),
            "-fps_mode", "passthrough",
            "-vf", filters,
            "-f", "rawvideo", "pipe:1",
        ];
    }

    /// <summary>Fills <paramref name="frame"/> with the next frame; false at the end (a partial frame is an error).</summary>
    public async Task<bool> ReadFrameAsync(Memory<byte> frame, CancellationToken cancellationToken)
    {
        int got = 0;
        while (got < FrameBytes)
        {
            int n = await _process.StandardOutput.ReadAsync(frame[got..FrameBytes], cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            got += n;
        }
        if (got == 0) return false;
        if (got < FrameBytes)
            throw new VideoException(_name, $"the decoder stopped in the middle of a frame ({got} of {FrameBytes} bytes): {_process.Stderr.Trim()}");
        return true;
    }

    /// <summary>Waits for ffmpeg to exit; a decode error (truncated or corrupt input) throws naming the file.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _process.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ToolFailedException e)
        {
            throw new VideoException(_name, "decoding failed: " + e.StandardError, e);
        }
        // At -v error ffmpeg says nothing about a sound stream: anything it said is damage it decoded around.
        if (!string.IsNullOrWhiteSpace(_process.Stderr))
            throw new VideoException(_name, "the decoder reported errors (damaged input): " + ChildProcess.Tail(_process.Stderr, 4));
    }

    public string Stderr => _process.Stderr;

    public void Dispose() => _process.Dispose();
}
