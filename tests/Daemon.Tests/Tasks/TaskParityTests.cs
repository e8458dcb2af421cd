using System.Globalization;
using System.Text.Json;
using ResShift.Daemon.Cli;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Imaging;
using Xunit.Abstractions;

namespace ResShift.Daemon.Tests.Tasks;

/// <summary>
/// The scale-1 task shapes through `resshift restore` (real ONNX Runtime, real files) against the outputs our
/// PyTorch implementation computed for the same test models (engines/tiny-inpaint/parity, engines/tiny-face/parity,
/// written by make_parity.py from the spec: hole shown as -1, tiles averaged, known pixels pasted back).
/// </summary>
public class TaskParityTests(ITestOutputHelper log)
{
    private static string ParityDir(string model) => Path.Combine(Repo.Engines, model, "parity");

    private static JsonElement Case(string model, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ParityDir(model), "index.json")));
        return doc.RootElement.GetProperty("cases").GetProperty(name).Clone();
    }

    private static string CaseFile(string model, JsonElement c, string key) =>
        Path.Combine(ParityDir(model), c.GetProperty("files").GetProperty(key).GetString()!);

    internal static async Task<(int Code, string Log)> Restore(params string[] args)
    {
        var o = new StringWriter();
        int code = await ResShiftCli.RunAsync(["restore", .. args, "--models-dir", Repo.Engines, "--engine", "cpu"], o, o);
        return (code, o.ToString());
    }

    internal static float[] Rgb(string path)
    {
        using DecodedImage image = new ImageDecoder().Decode(path);
        return image.Pixels.Rgb.ToArray();
    }

    private static double Psnr(float[] expected, float[] actual)
    {
        double mse = 0;
        for (int i = 0; i < expected.Length; i++) mse += (expected[i] - actual[i]) * (double)(expected[i] - actual[i]);
        mse /= expected.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1 / mse);
    }

    /// <summary>Asserts ≥ 60 dB against the PyTorch output and returns the restored pixels.</summary>
    private float[] AssertMatches(string model, JsonElement c, string output, string label)
    {
        float[] a = Rgb(output), e = Rgb(CaseFile(model, c, "out"));
        Assert.Equal(e.Length, a.Length);
        double psnr = Psnr(e, a);
        int maxLevels = 0;
        for (int i = 0; i < a.Length; i++) maxLevels = Math.Max(maxLevels, (int)Math.Abs(Math.Round(a[i] * 255f) - Math.Round(e[i] * 255f)));
        log.WriteLine($"{label}: PSNR {psnr:F1} dB, max {maxLevels} levels");
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "resshift-parity.txt"), $"{label}: PSNR {psnr:F1} dB, max {maxLevels} levels\n");
        Assert.True(psnr >= 60, $"{label}: PSNR {psnr:F1} dB, 8-bit values differ by up to {maxLevels}");
        Assert.True(e.Max() - e.Min() > 0.3, "the expected output is not trivially flat");
        return a;
    }

    /// <summary>
    /// Inpainting over two overlapping tiles (200×400: one padded row, columns 0 and 144, overlap 64), the mask
    /// given with --mask. Also: every known pixel is the input's exactly, and the unknown area changed.
    /// </summary>
    [Fact]
    public async Task InpaintingTwoOverlappingTilesMatchPyTorchAndKeepKnownPixels()
    {
        JsonElement c = Case("tiny-inpaint", "tiled200x400");
        string output = Path.Combine(Repo.TempDir(), "out.png");
        var (code, text) = await Restore(CaseFile("tiny-inpaint", c, "lq"), "--mask", CaseFile("tiny-inpaint", c, "mask"), "-o", output,
            "--model", "tiny-inpaint", "--noise-scale", "0", "--blend", "average",
            "--overlap", c.GetProperty("overlap").GetInt32().ToString(CultureInfo.InvariantCulture));
        Assert.True(code == 0, text);
        var plan = ResShift.Pipeline.Tiling.TilePlan.FromOverlap(200, 400, 256, c.GetProperty("overlap").GetInt32());
        Assert.Equal(c.GetProperty("column_starts").EnumerateArray().Select(e => e.GetInt32()), plan.ColumnStarts);
        Assert.Equal(2, plan.Tiles.Count);

        float[] restored = AssertMatches("tiny-inpaint", c, output, "inpaint tiled200x400");
        float[] input = Rgb(CaseFile("tiny-inpaint", c, "lq")), mask = Rgb(CaseFile("tiny-inpaint", c, "mask"));
        int plane = 200 * 400, known = 0, unknown = 0, changed = 0;
        for (int ch = 0; ch < 3; ch++)
            for (int i = 0; i < plane; i++)
            {
                int at = ch * plane + i;
                if (mask[i] == 0f)
                {
                    known++;
                    Assert.True(restored[at] == input[at], $"known pixel {i % 400},{i / 400} channel {ch}: {restored[at]} vs input {input[at]}");
                }
                else
                {
                    unknown++;
                    if (restored[at] != input[at]) changed++;
                }
            }
        Assert.True(known > 0 && unknown > 0);
        Assert.True(changed > unknown * 0.9, $"only {changed} of {unknown} unknown values changed");
    }

    /// <summary>One 256² tile, the mask found by the naming rule (a_lq.mask.png next to a_lq.png), no --mask.</summary>
    [Fact]
    public async Task InpaintingFindsTheMaskNextToTheImageAndMatchesPyTorch()
    {
        JsonElement c = Case("tiny-inpaint", "single256");
        string dir = Repo.TempDir();
        File.Copy(CaseFile("tiny-inpaint", c, "lq"), Path.Combine(dir, "photo.png"));
        File.Copy(CaseFile("tiny-inpaint", c, "mask"), Path.Combine(dir, "photo.mask.png"));
        string outDir = Repo.TempDir();
        var (code, text) = await Restore(dir, "-o", outDir, "--model", "tiny-inpaint", "--noise-scale", "0", "--blend", "average");
        Assert.True(code == 0, text);
        Assert.Contains("1 restored, 0 failed", text); // the mask itself was not taken as a job
        Assert.Equal(["photo.png", "photo.png.resshift.json"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order()); // the output and its sidecar, no mask output
        AssertMatches("tiny-inpaint", c, Path.Combine(outDir, "photo.png"), "inpaint single256");
    }

    /// <summary>
    /// A 15-step model through the same code: tiny-x4's graphs under the 15-step schedule of realsr v1/v2, the
    /// schedule read from the manifest, six overlapping tiles, against engines/tiny-x4/parity-s15 (PyTorch, 15 steps).
    /// </summary>
    [Fact]
    public async Task FifteenStepScheduleFromTheManifestMatchesPyTorch()
    {
        string models = Repo.TempDir(), dir = Path.Combine(models, "tiny-x4-s15"), tiny = Path.Combine(Repo.Engines, "tiny-x4");
        Directory.CreateDirectory(dir);
        foreach (string f in new[] { "encoder.onnx", "denoiser.onnx", "decoder.onnx" }) File.Copy(Path.Combine(tiny, f), Path.Combine(dir, f));
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(tiny, "model.json")))!;
        var v1 = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Engines, "resshift-realsr-x4-v1", "model.json")))!;
        manifest["id"] = "tiny-x4-s15";
        manifest["schedule"] = v1["schedule"]!.DeepClone();
        manifest["verification"] = null;
        File.WriteAllText(Path.Combine(dir, "model.json"), manifest.ToJsonString());
        Assert.Equal(15, v1["schedule"]!["T"]!.GetValue<int>());

        string parity = Path.Combine(tiny, "parity-s15");
        JsonElement c;
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(parity, "index.json"))))
            c = doc.RootElement.GetProperty("cases").GetProperty("tiled72x100").Clone();
        string output = Path.Combine(Repo.TempDir(), "out.png");
        var o = new StringWriter();
        int code = await ResShiftCli.RunAsync(["restore", Path.Combine(parity, "c_lq.png"), "-o", output, "--model", "tiny-x4-s15", "--models-dir", models,
            "--engine", "cpu", "--noise-scale", "0", "--blend", "average", "--overlap", c.GetProperty("overlap").GetInt32().ToString(CultureInfo.InvariantCulture)], o, o);
        Assert.True(code == 0, o.ToString());
        float[] a = Rgb(output), e = Rgb(Path.Combine(parity, "c_out.png"));
        double psnr = Psnr(e, a);
        log.WriteLine($"tiny-x4 at 15 steps, 6 tiles: PSNR {psnr:F1} dB");
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "resshift-parity.txt"), $"tiny-x4 15 steps tiled72x100: PSNR {psnr:F1} dB\n");
        Assert.True(psnr >= 60, $"PSNR {psnr:F1} dB");
        // The 4-step output of the same input differs: the schedule really changed.
        float[] four = Rgb(Path.Combine(tiny, "parity-tiled", "c_out.png"));
        Assert.True(Psnr(four, a) < 40, "the 15-step output equals the 4-step one");
    }

    /// <summary>Face restoration (VQ-f8, 8-channel latent, scale 1) on a 512×512 crop.</summary>
    [Fact]
    public async Task FaceRestorationOnAnAlignedCropMatchesPyTorch()
    {
        JsonElement c = Case("tiny-face", "single512");
        string output = Path.Combine(Repo.TempDir(), "face.png");
        var (code, text) = await Restore(CaseFile("tiny-face", c, "lq"), "-o", output, "--model", "tiny-face", "--noise-scale", "0");
        Assert.True(code == 0, text);
        using (DecodedImage d = new ImageDecoder().Decode(output)) Assert.Equal((512, 512), (d.Width, d.Height));
        AssertMatches("tiny-face", c, output, "face single512");
    }
}
