using System.Security.Cryptography;
using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Imaging;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>The real daemon with a fidelity threshold on one watch root and none on another.</summary>
public class FidelityReviewFolderTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task OutputsBelowTheRootsThresholdGoToReviewWithTheirOriginalAndRecord()
    {
        string work = Repo.TempDir(), strict = Path.Combine(work, "strict"), open = Path.Combine(work, "open");
        string[] names = ["a.png", Path.Combine("sub", "b.png")];
        var sha = new Dictionary<string, string>();
        for (int i = 0; i < names.Length; i++)
        {
            WritePng(Path.Combine(strict, "inbox", names[i]), 12 + i, 10, i);
            sha[names[i]] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(strict, "inbox", names[i]))));
            WritePng(Path.Combine(open, "inbox", names[i]), 12 + i, 10, i);
        }
        // tiny-x4 has random weights: its outputs score 10-20 dB, so a 30 dB floor holds every one of them.
        object strictRoot = new { Root = strict, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, Fidelity = new { MinPsnrDb = 30.0, MinSsim = 0.5 } };
        string review = Path.Combine(strict, "review");
        using var d = DaemonProcess.Start(work, [strictRoot, DaemonProcess.Root(open)]);
        await WaitUntil(() => names.All(n => File.Exists(Path.Combine(review, n)) && File.Exists(Path.Combine(open, "done", n))), Phase,
            () => $"review: {string.Join(", ", Files(review))}; log:\n{d.Log()}");
        Assert.True(d.Terminate(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, d.ExitCode);

        // Nothing of the strict root reached outbox/ or done/ (not even for a moment: the output is written to review/ directly).
        Assert.Empty(Files(Path.Combine(strict, "outbox")));
        Assert.Empty(Files(Path.Combine(strict, "done")));
        Assert.Empty(Files(Path.Combine(strict, "failed")));
        Assert.Empty(Files(Path.Combine(strict, "processing")));
        var decoder = new ImageDecoder();
        foreach (string n in names)
        {
            // The original, untouched.
            Assert.Equal(sha[n], Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(review, n)))));
            // The output beside it, at ×4, with its provenance sidecar.
            string held = Path.Combine(review, n + ".restored.png");
            using (DecodedImage img = decoder.Decode(held))
            using (DecodedImage src = decoder.Decode(Path.Combine(review, n)))
                Assert.Equal((src.Width * 4, src.Height * 4), (img.Width, img.Height));
            using JsonDocument sidecar = JsonDocument.Parse(File.ReadAllText(held + ".resshift.json"));
            double psnr = sidecar.RootElement.GetProperty("image").GetProperty("fidelity").GetProperty("psnr_db").GetDouble();
            // The record: figures (the sidecar's), the threshold and the reason.
            using JsonDocument record = JsonDocument.Parse(File.ReadAllText(Path.Combine(review, n + ".fidelity.json")));
            JsonElement r = record.RootElement;
            Assert.Equal(psnr, r.GetProperty("fidelity").GetProperty("psnr_db").GetDouble());
            Assert.True(psnr < 30, $"PSNR {psnr}");
            Assert.Equal(30.0, r.GetProperty("threshold").GetProperty("min_psnr_db").GetDouble());
            Assert.Contains("output drifts from its input: PSNR", r.GetProperty("reason").GetString());
            Assert.Equal(Path.Combine("outbox", n), r.GetProperty("requested_output").GetString());
            Assert.Equal(Path.Combine("review", n + ".restored.png"), r.GetProperty("output").GetString());
        }

        // The root without a threshold delivers as always, with the figures in its sidecars.
        foreach (string n in names)
        {
            Assert.True(File.Exists(Path.Combine(open, "outbox", n)));
            using JsonDocument sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(open, "outbox", n + ".resshift.json")));
            Assert.StartsWith("area-x4/", sidecar.RootElement.GetProperty("image").GetProperty("fidelity").GetProperty("method").GetString());
        }
        Assert.Empty(Files(Path.Combine(open, "review")));
    }

    [Fact]
    public async Task AHeldNameAlreadyInReviewGetsTheNextFreeVariantAndNothingThereIsReplaced()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), review = Path.Combine(root, "review");
        WritePng(Path.Combine(root, "inbox", "a.png"), 12, 10, 0);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, "inbox", "a.png"))));
        // An earlier hold of a.png nobody has judged yet: its original, output and record must survive as they are.
        Directory.CreateDirectory(review);
        string[] earlier = ["a.png", "a.png.restored.png", "a.png.fidelity.json"];
        foreach (string e in earlier) File.WriteAllText(Path.Combine(review, e), "earlier " + e);
        object strict = new { Root = root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, Fidelity = new { MinPsnrDb = 30.0 } };
        using var d = DaemonProcess.Start(work, [strict]);
        await WaitUntil(() => File.Exists(Path.Combine(review, "a-2.png")), Phase, () => $"review: {string.Join(", ", Files(review))}; log:\n{d.Log()}");
        Assert.True(d.Terminate(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, d.ExitCode);

        foreach (string e in earlier) Assert.Equal("earlier " + e, File.ReadAllText(Path.Combine(review, e)));
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(review, "a-2.png")))));
        Assert.True(File.Exists(Path.Combine(review, "a-2.png.restored.png.resshift.json")));
        using (DecodedImage img = new ImageDecoder().Decode(Path.Combine(review, "a-2.png.restored.png")))
            Assert.Equal((48, 40), (img.Width, img.Height));
        using JsonDocument record = JsonDocument.Parse(File.ReadAllText(Path.Combine(review, "a-2.png.fidelity.json")));
        Assert.Equal(Path.Combine("review", "a-2.png.restored.png"), record.RootElement.GetProperty("output").GetString());
        Assert.Equal("a.png", record.RootElement.GetProperty("input").GetString());
        Assert.Empty(Files(Path.Combine(root, "outbox")));
        Assert.Empty(Files(Path.Combine(root, "processing")));
    }
}
