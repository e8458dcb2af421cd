using System.Globalization;
using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Pipeline.Video.Codec;

/// <summary>
/// One ffmpeg process encoding restored packed RGB frames from its stdin: RGB→YUV with the source's matrix and
/// range stated explicitly (a tag alone still converts with BT.601), the source's colour tags written, bit-exact
/// flags so the same frames give the same bytes. Frames are numbered at the CFR rate; VFR timestamps are put
/// back at the mux (see <see cref="VideoMuxer"/>).
/// </summary>
public sealed class FrameEncoder : IDisposable
{
    private readonly ChildProcess _process;
    private readonly string _name;

    public FrameEncoder(FfmpegTools tools, string outputPath, string name, int width, int height, VideoDecisions d, EncoderPlan plan, CancellationToken cancellationToken)
    {
        _name = name;
        Arguments = BuildArguments(outputPath, width, height, d, plan);
        _process = ChildProcess.Start(tools.Ffmpeg, Arguments, cancellationToken, redirectInput: true);
    }

    public IReadOnlyList<string> Arguments { get; }
    public string CommandLine => _process.CommandLine;

    public static List<string> BuildArguments(string outputPath, int width, int height, VideoDecisions d, EncoderPlan plan)
    {
        Rational rate = d.FrameRate.IsValid ? d.FrameRate : new Rational(25, 1);
        var args = new List<string>
        {
            "-nostdin", "-hide_banner", "-v", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", d.RawPixelFormat,
            "-s", string.Create(CultureInfo.InvariantCulture, $"{width}x{height}"),
            "-framerate", rate.ToString(),
            "-i", "pipe:0",
            "-vf", $"scale=out_color_matrix={d.Matrix}:out_range={d.Range}:flags=bicubic+accurate_rnd+full_chroma_int",
        };
        args.AddRange(plan.Arguments);
        args.AddRange([
            "-color_primaries", d.PrimariesTag, "-color_trc", d.TransferTag, "-colorspace", d.ColorSpaceTag, "-color_range", d.Range,
            "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
            "-f", "matroska", "file:" + Path.GetFullPath(outputPath),
        ]);
        return args;
    }

    public Task WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        _process.StandardInput.WriteAsync(frame, cancellationToken).AsTask();

    /// <summary>Closes stdin and waits for the encoder to finish the file.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        _process.StandardInput.Close();
        try
        {
            await _process.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ToolFailedException e)
        {
            throw new VideoException(_name, "encoding failed: " + e.StandardError, e);
        }
    }

    public string Stderr => _process.Stderr;

    public void Dispose() => _process.Dispose();
}
