using System.CommandLine;
using ResShift.Pipeline.Fidelity;

namespace ResShift.Daemon.Cli;

/// <summary>`--min-psnr` / `--min-ssim`: the fidelity threshold of `restore` and `check` (off unless given).</summary>
internal sealed class FidelityOptions
{
    public Option<double?> MinPsnr { get; } = new("--min-psnr") { Description = "Warn and exit 3 when an output's consistency PSNR (dB) is below this (off by default; calibrate per model, see docs/FIDELITY.md)" };
    public Option<double?> MinSsim { get; } = new("--min-ssim") { Description = "Warn and exit 3 when an output's consistency SSIM is below this (off by default)" };

    public void AddTo(Command c)
    {
        c.Options.Add(MinPsnr);
        c.Options.Add(MinSsim);
    }

    public FidelityThreshold Threshold(ParseResult parse)
    {
        var t = new FidelityThreshold { MinPsnrDb = parse.GetValue(MinPsnr), MinSsim = parse.GetValue(MinSsim) };
        string? problem = t.Problems("command line", "--min-psnr", "--min-ssim").FirstOrDefault();
        return problem is null ? t : throw new ArgumentException(problem);
    }
}
