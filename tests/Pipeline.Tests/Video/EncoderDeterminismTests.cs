using System.Diagnostics;
using System.Security.Cryptography;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Probing;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>
/// Segments of one video may be encoded on different machines: x264 and x265 must give the same bytes whatever CPUs
/// the process may use. With their automatic thread count they do not: x264 follows the CPUs it may run on (its
/// output differs between one CPU and two, which this test shows when the pin is removed); x265 follows the machine's
/// core count, which taskset cannot change, so its case here guards the pinned arguments, not the difference. The plan
/// pins both; this encodes the same frames with the plan's arguments on every CPU and on one (taskset).
/// </summary>
public sealed class EncoderDeterminismTests : IDisposable
{
    private readonly VideoFixtures _f = new();

    public void Dispose() => _f.Dispose();

    [SkippableTheory]
    [InlineData(VideoCodec.X264, "h264")]
    [InlineData(VideoCodec.X265, "hevc")]
    public async Task The_plans_encoders_give_the_same_bytes_on_one_cpu_and_on_all(VideoCodec codec, string format)
    {
        Skip.If(Environment.ProcessorCount < 2, "one CPU here: encoding on one CPU and on all is the same run");
        Skip.IfNot(File.Exists("/usr/bin/taskset"), "taskset (util-linux) is missing");
        string source = await _f.CfrAsync("src.mkv", size: "320x240", rate: "25", seconds: 1.2);
        var prober = new VideoProber(_f.Tools);
        MediaProbe probe = await prober.ProbeAsync(source, CancellationToken.None);
        StreamProbe v = probe.Video!;
        VideoDecisions d = VideoDecider.Decide("src.mkv", v, await prober.PacketPtsAsync(source, v.Index, CancellationToken.None), null, InterlacePolicy.Deinterlace);
        EncoderPlan plan = new EncoderSettings { Codec = codec }.Resolve(d);
        Assert.Contains(plan.Arguments, a => a.Contains(EncoderSettings.EncoderThreads, StringComparison.Ordinal));

        string all = await EncodeAsync(source, plan, format, "all", oneCpu: false);
        string one = await EncodeAsync(source, plan, format, "one", oneCpu: true);
        Assert.Equal(all, one);
    }

    private async Task<string> EncodeAsync(string source, EncoderPlan plan, string format, string name, bool oneCpu)
    {
        string output = _f.PathOf(name + "." + format);
        var psi = new ProcessStartInfo(oneCpu ? "/usr/bin/taskset" : _f.Tools.Ffmpeg) { RedirectStandardError = true, UseShellExecute = false };
        if (oneCpu)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("0");
            psi.ArgumentList.Add(_f.Tools.Ffmpeg);
        }
        foreach (string a in (string[])["-v", "error", "-nostdin", "-i", source, "-an", .. plan.Arguments, "-f", format, "-y", output])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string err;
        try
        {
            err = await p.StandardError.ReadToEndAsync(timeout.Token);
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        Assert.True(p.ExitCode == 0, $"ffmpeg failed: {err}");
        return Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(output)));
    }
}
