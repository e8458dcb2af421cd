using ResShift.Daemon.Cli;
using ResShift.Pipeline.Imaging;

namespace ResShift.Daemon.Tests.Restore;

/// <summary>`resshift restore` on real files: photo crops, 16-bit, alpha, gray, ICC/EXIF, bad inputs, folders.</summary>
public class RestoreEndToEndTests
{
    private static async Task<(int Code, string Out)> Restore(params string[] args)
    {
        var o = new StringWriter();
        int code = await ResShiftCli.RunAsync(["restore", .. args, "--models-dir", Repo.Engines, "--noise-scale", "0", .. (args.Contains("--model") ? Array.Empty<string>() : ["--model", "tiny-x4"])], o, o);
        return (code, o.ToString());
    }

    [Fact]
    public async Task FolderOfPhotosAndSpecialFormatsIsRestoredAt4xWithFidelity()
    {
        string input = Repo.TempDir(), output = Repo.TempDir();
        string[] files = ["photo-garden.jpg", "photo-aqua.png", "rgb16-gradient.png", "rgba8.png", "gray8.png", "orient6-icc.jpg", "tiny-2x3.png"];
        Directory.CreateDirectory(Path.Combine(input, "sub"));
        foreach (string f in files) File.Copy(Repo.Images(f), Path.Combine(input, f == "gray8.png" ? Path.Combine("sub", f) : f));
        File.WriteAllText(Path.Combine(input, "notes.txt"), "not an image"); // skipped in folders: not an image extension

        var (code, log) = await Restore(input, "-o", output);
        Assert.True(code == 0, log);
        var decoder = new ImageDecoder();
        foreach (string f in files)
        {
            string rel = f == "gray8.png" ? Path.Combine("sub", f) : f;
            using DecodedImage src = decoder.Decode(Path.Combine(input, rel));
            using DecodedImage dst = decoder.Decode(Path.Combine(output, rel));
            Assert.Equal((src.Width * 4, src.Height * 4), (dst.Width, dst.Height));
            Assert.Equal(src.Metadata.Layout, dst.Metadata.Layout);
            Assert.Equal(src.BitDepth, dst.BitDepth);
        }
        Assert.False(File.Exists(Path.Combine(output, "notes.txt")));
        Assert.Empty(Directory.EnumerateFiles(output, "*.resshift-tmp", SearchOption.AllDirectories));

        // 16 bits survive: the output uses values that are not multiples of 257 (no 8-bit bottleneck).
        using (DecodedImage sixteen = decoder.Decode(Path.Combine(output, "rgb16-gradient.png")))
        {
            int fine = 0;
            foreach (float v in sixteen.Pixels.Rgb.ToArray())
                if (Math.Round(v * 65535) % 257 != 0) fine++;
            Assert.True(fine > sixteen.Pixels.Rgb.Length / 2, "16-bit output looks quantised to 8 bits");
        }
        // Alpha is carried through (bicubic ×4, not the model): the source alpha's range survives.
        using (DecodedImage srcA = decoder.Decode(Path.Combine(input, "rgba8.png")))
        using (DecodedImage dstA = decoder.Decode(Path.Combine(output, "rgba8.png")))
        {
            Assert.True(dstA.Pixels.HasAlpha);
            float[] a = srcA.Pixels.Alpha.ToArray(), b = dstA.Pixels.Alpha.ToArray();
            Assert.InRange(b.Min(), a.Min() - 0.02f, a.Min() + 0.05f);
            Assert.InRange(b.Max(), a.Max() - 0.05f, a.Max() + 0.02f);
            // Top-left output pixel's alpha matches the top-left source pixel's.
            Assert.Equal(a[0], b[0], 1);
        }
        // ICC profile and EXIF are carried to the output.
        using (DecodedImage srcM = decoder.Decode(Path.Combine(input, "orient6-icc.jpg")))
        using (DecodedImage dstM = decoder.Decode(Path.Combine(output, "orient6-icc.jpg")))
        {
            Assert.NotNull(srcM.Metadata.IccProfile);
            Assert.Equal(srcM.Metadata.IccProfile, dstM.Metadata.IccProfile);
            Assert.NotNull(dstM.Metadata.Exif);
        }
    }

    [Fact]
    public async Task BadInputsFailClearlyAndTheRestIsRestored()
    {
        string input = Repo.TempDir(), output = Repo.TempDir();
        File.Copy(Repo.Images("tiny-2x3.png"), Path.Combine(input, "good.png"));
        File.WriteAllBytes(Path.Combine(input, "empty.png"), []);
        File.WriteAllText(Path.Combine(input, "text.jpg"), "this is not a JPEG");
        byte[] photo = File.ReadAllBytes(Repo.Images("photo-aqua.png"));
        File.WriteAllBytes(Path.Combine(input, "truncated.png"), photo[..(photo.Length / 2)]);
        File.Copy(Repo.Images("huge-header.png"), Path.Combine(input, "bomb.png"));

        var (code, log) = await Restore(input, "-o", output);
        Assert.Equal(ExitCodes.SomeFailed, code);
        Assert.True(File.Exists(Path.Combine(output, "good.png")), log);
        foreach (string bad in new[] { "empty.png", "text.jpg", "truncated.png", "bomb.png" })
        {
            Assert.Contains($"FAILED {bad}", log);
            Assert.False(File.Exists(Path.Combine(output, bad)), $"{bad} produced an output");
        }
        Assert.Contains("1 restored, 4 failed", log);
        Assert.Contains("limit", log); // the bomb is refused by its declared size
    }

    [Fact]
    public async Task SkipExistingAndUsageErrors()
    {
        string input = Repo.TempDir(), output = Repo.TempDir();
        File.Copy(Repo.Images("tiny-1x1.png"), Path.Combine(input, "a.png"));
        Assert.Equal(0, (await Restore(input, "-o", output)).Code);
        DateTime first = File.GetLastWriteTimeUtc(Path.Combine(output, "a.png"));
        var (code, log) = await Restore(input, "-o", output, "--skip-existing");
        Assert.Equal(0, code);
        Assert.Contains("0 restored, 0 failed, 1 skipped", log);
        Assert.Equal(first, File.GetLastWriteTimeUtc(Path.Combine(output, "a.png")));

        Assert.Equal(ExitCodes.Usage, (await Restore(input, "-o", output, "--tile", "128")).Code);
        Assert.Equal(ExitCodes.Usage, (await Restore(input, "-o", output, "--overlap", "64")).Code);
        Assert.Equal(ExitCodes.Usage, (await Restore(input, "-o", output, "--noise-scale", "3")).Code);
        Assert.Equal(ExitCodes.Usage, (await Restore(input, "-o", output, "--model", "nope")).Code);
        Assert.Equal(ExitCodes.Usage, (await Restore(input)).Code);
    }

    [Fact]
    public async Task SameInputAndSeedGiveTheSameBytes()
    {
        string input = Repo.TempDir(), a = Repo.TempDir(), b = Repo.TempDir();
        File.Copy(Repo.Images("photo-ladybird.jpg"), Path.Combine(input, "x.png"));
        var o = new StringWriter();
        Assert.Equal(0, await ResShiftCli.RunAsync(["restore", input, "-o", a, "--seed", "5", "--model", "tiny-x4", "--models-dir", Repo.Engines], o, o));
        Assert.Equal(0, await ResShiftCli.RunAsync(["restore", input, "-o", b, "--seed", "5", "--batch", "1", "--model", "tiny-x4", "--models-dir", Repo.Engines], o, o));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "x.png")), File.ReadAllBytes(Path.Combine(b, "x.png")));
    }
}
