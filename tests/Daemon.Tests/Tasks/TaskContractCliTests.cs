using ResShift.Daemon.Cli;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Imaging;

namespace ResShift.Daemon.Tests.Tasks;

/// <summary>What each task refuses, and the defaults of restore and models, through the real CLI.</summary>
public class TaskContractCliTests
{
    private static string InpaintParity(string file) => Path.Combine(Repo.Engines, "tiny-inpaint", "parity", file);

    private static (string Image, string OutDir) Photo()
    {
        string dir = Repo.TempDir();
        string image = Path.Combine(dir, "photo.png");
        File.Copy(InpaintParity("a_lq.png"), image);
        return (image, Repo.TempDir());
    }

    private static void WritePng(string path, int width, int height, Func<int, int, float> value)
    {
        using PlanarImage p = PlanarImage.Allocate(width, height, withAlpha: false);
        for (int ch = 0; ch < 3; ch++)
        {
            Span<float> plane = p.Plane(ch);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++) plane[y * width + x] = value(x, y);
        }
        new ImageEncoder().Encode(p, new ImageMetadata(ChannelLayout.Rgb, 8, ImageFormat.Png), path, ImageFormat.Png);
    }

    private static async Task AssertRefused(string image, string outDir, string[] extra, params string[] expected)
    {
        byte[] before = File.ReadAllBytes(image);
        var (code, text) = await TaskParityTests.Restore([image, "-o", outDir, "--model", "tiny-inpaint", .. extra]);
        Assert.True(code == ExitCodes.SomeFailed, text);
        foreach (string e in expected) Assert.Contains(e, text);
        Assert.Empty(Directory.GetFiles(outDir));                 // nothing written
        Assert.Equal(before, File.ReadAllBytes(image));           // the original stays
    }

    [Fact]
    public async Task MissingMaskFailsNamingBothFiles()
    {
        var (image, outDir) = Photo();
        await AssertRefused(image, outDir, [], "photo.png: its mask", Path.Combine(Path.GetDirectoryName(image)!, "photo.mask.png"), "does not exist");
    }

    [Fact]
    public async Task MaskOfAnotherSizeFailsNamingBothFilesAndSizes()
    {
        var (image, outDir) = Photo();
        string mask = Path.Combine(Repo.TempDir(), "small.png");
        WritePng(mask, 100, 80, (x, y) => x > 50 ? 1f : 0f);
        await AssertRefused(image, outDir, ["--mask", mask], "photo.png: its mask " + mask, "is 100×80 but the image is 256×256");
    }

    [Fact]
    public async Task MaskThatIsNotBinaryFailsNamingThePixel()
    {
        var (image, outDir) = Photo();
        string mask = Path.Combine(Repo.TempDir(), "gray.png");
        WritePng(mask, 256, 256, (x, y) => x == 10 && y == 3 ? 128 / 255f : 0f);
        await AssertRefused(image, outDir, ["--mask", mask], "photo.png: its mask " + mask, "is not binary: pixel (10, 3)");
    }

    [Fact]
    public async Task MaskForAModelWithoutMaskInputIsAUsageError()
    {
        var (image, outDir) = Photo();
        var (code, text) = await TaskParityTests.Restore(image, "-o", outDir, "--model", "tiny-x4", "--mask", InpaintParity("a_lq.mask.png"));
        Assert.True(code == ExitCodes.Usage, text);
        Assert.Contains("--mask is for inpainting models; 'tiny-x4' is a realsr model", text);
    }

    [Fact]
    public async Task FaceModelRefusesAnotherSizeSayingWhatItAccepts()
    {
        var (image, outDir) = Photo(); // 256×256
        var (code, text) = await TaskParityTests.Restore(image, "-o", outDir, "--model", "tiny-face");
        Assert.True(code == ExitCodes.SomeFailed, text);
        Assert.Contains("photo.png: the image is 256×256, this model takes exactly 512×512", text);
        Assert.Contains("aligned face crop", text);
        Assert.Empty(Directory.GetFiles(outDir));
    }

    /// <summary>Without --model and no real model present: a clear refusal naming how to get one, never the demo model.</summary>
    [Fact]
    public async Task RestoreWithoutAModelAndNoRealOnePresentSaysHowToGetOne()
    {
        var (image, outDir) = Photo();
        var o = new StringWriter();
        int code = await ResShiftCli.RunAsync(["restore", image, "-o", outDir, "--models-dir", Repo.Engines], o, o);
        Assert.True(code == ExitCodes.SomeFailed, o.ToString());
        Assert.Contains("no real model is present", o.ToString());
        Assert.Contains("make models MODEL=resshift-realsr-x4-v3", o.ToString());
        Assert.Empty(Directory.GetFiles(outDir));
    }

    /// <summary>With realsr v3's files present (tiny-x4's graphs standing in for them), restore picks it unasked.</summary>
    [Fact]
    public async Task RestoreDefaultsToRealsrV3WhenItsFilesArePresent()
    {
        string models = Repo.TempDir();
        string v3 = Path.Combine(models, "resshift-realsr-x4-v3");
        Directory.CreateDirectory(v3);
        foreach (string f in new[] { "encoder.onnx", "denoiser.onnx", "decoder.onnx" })
            File.Copy(Path.Combine(Repo.Engines, "tiny-x4", f), Path.Combine(v3, f));
        string manifest = File.ReadAllText(Path.Combine(Repo.Engines, "tiny-x4", "model.json"))
            .Replace("\"id\": \"tiny-x4\"", "\"id\": \"resshift-realsr-x4-v3\"")
            .Replace("\"sources\": []", "\"sources\": [{\"role\": \"denoiser\", \"url\": \"resshift_realsrx4_s4_v3.pth\", \"sha256\": null}]")
            .Replace("\"verification\": \"verify/index.json\"", "\"verification\": null");
        File.WriteAllText(Path.Combine(v3, "model.json"), manifest);
        Directory.CreateDirectory(Path.Combine(models, "tiny-x4"));
        File.Copy(Path.Combine(Repo.Engines, "tiny-x4", "model.json"), Path.Combine(models, "tiny-x4", "model.json"));

        string input = Path.Combine(Repo.Engines, "tiny-x4", "parity", "b_lq.png");
        string output = Path.Combine(Repo.TempDir(), "out.png");
        var o = new StringWriter();
        int code = await ResShiftCli.RunAsync(["restore", input, "-o", output, "--models-dir", models, "--engine", "cpu"], o, o);
        Assert.True(code == 0, o.ToString());
        Assert.Contains("model resshift-realsr-x4-v3", o.ToString());

        var list = new StringWriter();
        Assert.Equal(0, await ResShiftCli.RunAsync(["models", "list", "--models-dir", models], list, list));
        Assert.Contains("restore's default: resshift-realsr-x4-v3", list.ToString());
        Assert.Matches(@"tiny-x4\s+realsr\s+image\s+×4\s+4\s+64\s+missing", list.ToString()); // listed in the manifest, files not there
    }

    [Fact]
    public async Task ModelsListShowsEveryReleasedModelWithTaskStepsScaleLicenceAndPresence()
    {
        var o = new StringWriter();
        Assert.Equal(0, await ResShiftCli.RunAsync(["models", "list", "--models-dir", Repo.Engines], o, o));
        string text = o.ToString();
        Assert.Matches(@"resshift-realsr-x4-v3\s+realsr\s+image\s+×4\s+4\s+64\s+absent\s+NTU S-Lab License 1.0 \(non-commercial use only\)", text);
        Assert.Matches(@"resshift-realsr-x4-v1\s+realsr\s+image\s+×4\s+15\s+64\s+absent", text);
        Assert.Matches(@"resshift-realsr-x4-v2\s+realsr\s+image\s+×4\s+15\s+64\s+absent", text);
        Assert.Matches(@"resshift-bicsr-x4\s+bicsr\s+image\s+×4\s+4\s+64\s+absent", text);
        Assert.Matches(@"resshift-inpaint-imagenet\s+inpaint\s+image\+mask\s+×1\s+4\s+256\s+absent", text);
        Assert.Matches(@"resshift-inpaint-face\s+inpaint\s+image\+mask\s+×1\s+4\s+256\s+absent", text);
        Assert.Matches(@"resshift-faceir\s+faceir\s+512×512 crop\s+×1\s+4\s+512\s+absent", text);
        Assert.Matches(@"tiny-inpaint\s+inpaint\s+image\+mask\s+×1\s+4\s+256\s+present\s+MIT License \[demo", text);
        Assert.Matches(@"tiny-face\s+faceir\s+512×512 crop\s+×1\s+4\s+512\s+present", text);

        var show = new StringWriter();
        Assert.Equal(0, await ResShiftCli.RunAsync(["models", "show", "resshift-faceir", "--models-dir", Repo.Engines], show, show));
        Assert.Contains("onnx      not present: run 'make models MODEL=resshift-faceir' (downloads resshift_faceir_s4.pth and ffhq512_vq_f8_dim8_face.pth", show.ToString());
        Assert.Contains("latent f8 × 8 channels", show.ToString());
        Assert.Contains("aligned face crop of exactly 512x512", show.ToString());
    }
}
