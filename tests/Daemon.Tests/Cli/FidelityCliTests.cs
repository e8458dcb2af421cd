using System.Text.Json;
using ResShift.Daemon.Cli;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Imaging;

namespace ResShift.Daemon.Tests.Cli;

/// <summary>`resshift check` on real image files, and `restore --min-psnr/--min-ssim` on tiny-x4.</summary>
public class FidelityCliTests
{
    /// <summary>Writes <paramref name="source"/> upscaled ×<paramref name="s"/> by nearest neighbour, optionally with every pixel replaced by noise.</summary>
    private static string Upscaled(string source, int s, string dir, bool noise = false)
    {
        using DecodedImage src = new ImageDecoder().Decode(source);
        int w = src.Width * s, h = src.Height * s;
        using PlanarImage up = PlanarImage.Allocate(w, h, withAlpha: false);
        Span<float> rgb = up.Rgb;
        ReadOnlySpan<float> lq = src.Pixels.Rgb;
        var rng = new Random(3);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    rgb[(c * h + y) * w + x] = noise ? (float)rng.NextDouble() : lq[(c * src.Height + y / s) * src.Width + x / s];
        string path = Path.Combine(dir, noise ? "noise.png" : "nearest.png");
        new ImageEncoder().Encode(up, new ImageMetadata(ChannelLayout.Rgb, 8, ImageFormat.Png), path, ImageFormat.Png);
        return path;
    }

    private static Task<(int Code, string Out, string Err)> Check(params string[] args) =>
        CliRun.Run(["check", .. args, "--models-dir", Repo.Engines]);

    [Fact]
    public async Task CheckGivesFullConsistencyForAnExactNearestUpscale()
    {
        string dir = Repo.TempDir(), input = Repo.Images("photo-aqua.png");
        var (code, stdout, err) = await Check(input, Upscaled(input, 4, dir), "--model", "tiny-x4", "--json");
        Assert.True(code == ExitCodes.Success, err);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        JsonElement f = doc.RootElement.GetProperty("fidelity");
        Assert.Equal(100, f.GetProperty("psnr_db").GetDouble());
        Assert.True(f.GetProperty("ssim").GetDouble() > 0.9999);
        Assert.Equal("area-x4/luma-bt601/ssim-gauss11", f.GetProperty("method").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("below_threshold").ValueKind);
    }

    [Fact]
    public async Task CheckFlagsANoiseOutputBelowTheThresholdWithExitCode3()
    {
        string dir = Repo.TempDir(), input = Repo.Images("photo-garden.jpg");
        string noise = Upscaled(input, 4, dir, noise: true);
        var (code, stdout, err) = await Check(input, noise, "--model", "tiny-x4", "--min-psnr", "20", "--min-ssim", "0.5");
        Assert.Equal(ExitCodes.BelowFidelityThreshold, code);
        Assert.Matches(@"psnr_db \d+\.\d\d  ssim -?0\.\d{4}  method area-x4/", stdout);
        Assert.Contains("output drifts from its input: PSNR", err);
        Assert.Contains("SSIM", err);

        // The same pair without a threshold: figures only, exit 0.
        Assert.Equal(ExitCodes.Success, (await Check(input, noise, "--model", "tiny-x4")).Code);
    }

    [Fact]
    public async Task CheckRefusesAPairOfTheWrongSize()
    {
        string dir = Repo.TempDir(), input = Repo.Images("photo-aqua.png");
        var (code, _, err) = await Check(input, Upscaled(input, 2, dir), "--model", "tiny-x4");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("192×160", err);
        Assert.Contains("384×320", err);
    }

    [Fact]
    public async Task CheckRefusesAConstantOutput()
    {
        string dir = Repo.TempDir(), input = Repo.Images("photo-aqua.png"), flat = Path.Combine(dir, "flat.png");
        using (PlanarImage img = PlanarImage.Allocate(384, 320, withAlpha: false))
        {
            img.Rgb.Fill(0.5f);
            new ImageEncoder().Encode(img, new ImageMetadata(ChannelLayout.Rgb, 8, ImageFormat.Png), flat, ImageFormat.Png);
        }
        var (code, _, err) = await Check(input, flat, "--model", "tiny-x4");
        Assert.Equal(ExitCodes.SomeFailed, code);
        Assert.Contains("the output is constant", err);
    }

    [Fact]
    public async Task RestoreWarnsAndExits3WhenAnOutputIsBelowTheThresholdButKeepsIt()
    {
        string output = Repo.TempDir();
        string target = Path.Combine(output, "aqua.png");
        var o = new StringWriter();
        // tiny-x4 has random weights: its outputs are far from any input, so a 30 dB floor catches them.
        int code = await ResShiftCli.RunAsync(["restore", Repo.Images("photo-aqua.png"), "-o", target, "--model", "tiny-x4", "--models-dir", Repo.Engines,
            "--noise-scale", "0", "--min-psnr", "30"], o, o);
        Assert.True(code == ExitCodes.BelowFidelityThreshold, o.ToString());
        Assert.Contains("warning: photo-aqua.png: output drifts from its input: PSNR", o.ToString());
        Assert.True(File.Exists(target));

        // The figures `restore` judged are the figures `check` gives for the written file (8-bit rounding aside).
        var (checkCode, json, err) = await Check(Repo.Images("photo-aqua.png"), target, "--model", "tiny-x4", "--json", "--min-psnr", "30");
        Assert.True(checkCode == ExitCodes.BelowFidelityThreshold, err);
        double psnr = JsonDocument.Parse(json).RootElement.GetProperty("fidelity").GetProperty("psnr_db").GetDouble();
        Assert.InRange(psnr, 3, 30);

        // Without a threshold the same run is a plain success.
        var quiet = new StringWriter();
        Assert.Equal(ExitCodes.Success, await ResShiftCli.RunAsync(["restore", Repo.Images("photo-aqua.png"), "-o", target, "--model", "tiny-x4", "--models-dir", Repo.Engines, "--noise-scale", "0"], quiet, quiet));
        Assert.DoesNotContain("warning", quiet.ToString());
    }

    [Fact]
    public async Task BadThresholdsAreUsageErrors()
    {
        string dir = Repo.TempDir(), input = Repo.Images("photo-aqua.png");
        var (code, _, err) = await Check(input, Upscaled(input, 4, dir), "--model", "tiny-x4", "--min-ssim", "3");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--min-ssim", err);
    }
}
