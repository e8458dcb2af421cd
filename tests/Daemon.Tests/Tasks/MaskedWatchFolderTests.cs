using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Tasks;

/// <summary>
/// The real daemon watching a folder with an inpainting model: masks travel as NAME.mask.png, an image waits for
/// its mask, a mask is never a job, and a missing or wrong mask fails the image with both files named.
/// </summary>
public class MaskedWatchFolderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static string Parity(string file) => Path.Combine(Repo.Engines, "tiny-inpaint", "parity", file);

    [Fact]
    public async Task MaskedImagesAreInpaintedAndBadOnesFailWithTheirReason()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), inbox = Path.Combine(root, "inbox");
        Directory.CreateDirectory(inbox);
        // A mask written after its image (as an uploader might) still joins it: the image waits.
        File.Copy(Parity("a_lq.png"), Path.Combine(inbox, "late.png"));
        File.Copy(Parity("a_lq.png"), Path.Combine(inbox, "photo.png"));
        File.Copy(Parity("a_lq.mask.png"), Path.Combine(inbox, "photo.mask.png"));
        File.Copy(Parity("a_lq.png"), Path.Combine(inbox, "wrong.png"));
        File.Copy(Parity("b_lq.mask.png"), Path.Combine(inbox, "wrong.mask.png")); // 400×200 for a 256×256 image
        File.Copy(Parity("a_lq.png"), Path.Combine(inbox, "lonely.png"));           // no mask ever comes

        using var d = DaemonProcess.Start(work, [new { Root = root, Model = "tiny-inpaint", SettleSeconds = 0.2, PollMilliseconds = 100, NoiseScale = 0.0, MaskWaitSeconds = 2.0 }]);
        await Task.Delay(600);
        File.Copy(Parity("a_lq.mask.png"), Path.Combine(inbox, ".late.mask.png.part"));
        File.Move(Path.Combine(inbox, ".late.mask.png.part"), Path.Combine(inbox, "late.mask.png"));

        string done = Path.Combine(root, "done"), failed = Path.Combine(root, "failed"), outbox = Path.Combine(root, "outbox");
        await WaitUntil(() => Files(done).Length + Files(failed).Length >= 8 || d.HasExited, Timeout,
            () => $"done {string.Join(",", Files(done))} failed {string.Join(",", Files(failed))}; log:\n{d.Log()}");
        Assert.True(d.Terminate(TimeSpan.FromSeconds(60)), "daemon did not stop on SIGTERM");

        Assert.Equal(["late.mask.png", "late.png", "photo.mask.png", "photo.png"], Files(done));
        Assert.Equal(["late.png", "late.png.resshift.json", "photo.png", "photo.png.resshift.json"], Files(outbox)); // no mask restored as an image
        Assert.Equal(["lonely.png", "lonely.png.error.json", "wrong.mask.png", "wrong.png", "wrong.png.error.json"], Files(failed));
        Assert.Empty(Files(inbox));
        static string Reason(string path) => System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("reason").GetString()!;
        Assert.Equal("wrong.png: its mask wrong.mask.png is 400×200 but the image is 256×256; they must be the same size", Reason(Path.Combine(failed, "wrong.png.error.json")));
        Assert.StartsWith("lonely.png: its mask lonely.mask.png does not exist", Reason(Path.Combine(failed, "lonely.png.error.json")));
        Assert.Equal(File.ReadAllBytes(Parity("a_lq.png")), File.ReadAllBytes(Path.Combine(failed, "wrong.png"))); // the original stays intact

        // The fidelity guard compared only the known area (the filled one has nothing to match).
        using (var sidecar = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outbox, "photo.png.resshift.json"))))
            Assert.EndsWith("/known-area", sidecar.RootElement.GetProperty("image").GetProperty("fidelity").GetProperty("method").GetString());

        // Known pixels are the input's exactly; the masked area was filled.
        float[] input = TaskParityTests.Rgb(Parity("a_lq.png")), mask = TaskParityTests.Rgb(Parity("a_lq.mask.png"));
        foreach (string name in new[] { "photo.png", "late.png" })
        {
            float[] restored = TaskParityTests.Rgb(Path.Combine(outbox, name));
            int plane = 256 * 256, changed = 0, unknown = 0;
            for (int i = 0; i < 3 * plane; i++)
            {
                if (mask[i % plane] == 0f) Assert.True(restored[i] == input[i], $"{name}: known value {i} changed");
                else
                {
                    unknown++;
                    if (restored[i] != input[i]) changed++;
                }
            }
            Assert.True(changed > unknown * 0.9, $"{name}: only {changed} of {unknown} unknown values changed");
        }
    }
}
