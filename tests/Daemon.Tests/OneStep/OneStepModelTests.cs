using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ResShift.Daemon.Cli;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Tasks;
using Xunit.Abstractions;

namespace ResShift.Daemon.Tests.OneStep;

/// <summary>
/// One-step models (SinSR: the first step of the 15-step loop, t = 14, its x0 decoded) through the same code as
/// ResShift: the SinSR manifests in `models list/show`, and a one-step test model through `resshift restore`
/// against what our PyTorch sampler computed (engines/tiny-x4/parity-one-step, make_parity.py).
/// </summary>
public class OneStepModelTests(ITestOutputHelper log)
{
    [Fact]
    public async Task ModelsListAndShowGiveTheSinsrModelsOneStepTheirLicenceAndHowToGetThem()
    {
        var o = new StringWriter();
        Assert.Equal(0, await ResShiftCli.RunAsync(["models", "list", "--models-dir", Repo.Engines], o, o));
        string text = o.ToString();
        foreach (string v in new[] { "v1", "v2" })
            Assert.Matches($@"sinsr-realsr-x4-{v}\s+realsr\s+image\s+×4\s+1\s+64\s+absent\s+Creative Commons Attribution-NonCommercial-ShareAlike 4.0 \(non-commercial use only\)", text);
        Assert.Matches(@"resshift-realsr-x4-v1\s+realsr\s+image\s+×4\s+15\s+64\s+absent", text); // the same schedule, all 15 steps

        var show = new StringWriter();
        Assert.Equal(0, await ResShiftCli.RunAsync(["models", "show", "sinsr-realsr-x4-v2", "--models-dir", Repo.Engines], show, show));
        string s = show.ToString();
        Assert.Contains("1 steps", s);
        Assert.Contains("T=15 kappa=2 min_noise_level=0.04 etas_end=0.99 power=0.3; runs t = 14 only, decoding the last x0", s);
        Assert.Contains("onnx      not present: run 'make models MODEL=sinsr-realsr-x4-v2' (downloads SinSR_v2.pth and autoencoder_vq_f4.pth", s);
        Assert.Contains("source    denoiser: https://github.com/wyf0912/SinSR/releases/download/v1.0/SinSR_v2.pth", s);
    }

    /// <summary>
    /// tiny-x4's graphs under SinSR's sampling read from the manifest (T 15, timesteps [14]): six overlapping tiles,
    /// noise 0, against PyTorch. The same graphs under the full 15-step loop give a clearly different image, so the
    /// match shows that one step ran and its x0 was decoded.
    /// </summary>
    [Fact]
    public async Task OneStepScheduleFromTheManifestMatchesPyTorch()
    {
        string models = Repo.TempDir(), dir = Path.Combine(models, "tiny-x4-one-step"), tiny = Path.Combine(Repo.Engines, "tiny-x4");
        Directory.CreateDirectory(dir);
        foreach (string f in new[] { "encoder.onnx", "denoiser.onnx", "decoder.onnx" }) File.Copy(Path.Combine(tiny, f), Path.Combine(dir, f));
        JsonNode manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(tiny, "model.json")))!;
        JsonNode sinsr = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Engines, "sinsr-realsr-x4-v1", "model.json")))!;
        manifest["id"] = "tiny-x4-one-step";
        manifest["schedule"] = sinsr["schedule"]!.DeepClone();
        manifest["verification"] = null;
        File.WriteAllText(Path.Combine(dir, "model.json"), manifest.ToJsonString());
        Assert.Equal(14, sinsr["schedule"]!["timesteps"]![0]!.GetValue<int>());

        string parity = Path.Combine(tiny, "parity-one-step");
        JsonElement c;
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(parity, "index.json"))))
            c = doc.RootElement.GetProperty("cases").GetProperty("tiled72x100").Clone();
        string overlap = c.GetProperty("overlap").GetInt32().ToString(CultureInfo.InvariantCulture);
        string output = Path.Combine(Repo.TempDir(), "out.png");
        var o = new StringWriter();
        int code = await ResShiftCli.RunAsync(["restore", Path.Combine(parity, "c_lq.png"), "-o", output, "--model", "tiny-x4-one-step",
            "--models-dir", models, "--engine", "cpu", "--noise-scale", "0", "--blend", "average", "--overlap", overlap], o, o);
        Assert.True(code == 0, o.ToString());
        float[] a = TaskParityTests.Rgb(output), e = TaskParityTests.Rgb(Path.Combine(parity, "c_out.png"));
        Assert.Equal(e.Length, a.Length);
        double psnr = Psnr(e, a);
        log.WriteLine($"tiny-x4 one step (t = 14 of 15), 6 tiles: PSNR {psnr:F1} dB");
        // 62.4 dB measured here (8-bit against 8-bit, ~4 % of values one level apart); the floor leaves room for
        // another CPU's last bits, and stays far above the < 40 dB of the wrong loop checked below.
        Assert.True(psnr >= 50, $"PSNR {psnr:F1} dB");
        Assert.True(e.Max() - e.Min() > 0.3, "the expected output is not trivially flat");

        // The 15-step loop over the same graphs is another image (parity-s15 is that loop on the same card).
        float[] fifteen = TaskParityTests.Rgb(Path.Combine(tiny, "parity-s15", "c_out.png"));
        Assert.True(Psnr(fifteen, a) < 40, $"one step and 15 steps agree to {Psnr(fifteen, a):F1} dB: the test cannot tell them apart");
    }

    private static double Psnr(float[] expected, float[] actual)
    {
        double mse = 0;
        for (int i = 0; i < expected.Length; i++) mse += (expected[i] - actual[i]) * (double)(expected[i] - actual[i]);
        mse /= expected.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1 / mse);
    }
}
