using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Tasks;

/// <summary>
/// Issue 24, case 4: a 400 MB zero-filled mask (under the input size limit) was read whole with no signature check,
/// and the daemon's resident memory grew by 1.35 GB and stayed there. A mask gets the image inputs' treatment:
/// opened through the root handle, refused from its first bytes, decoded from the handle, limited by pixels.
/// </summary>
public sealed class HugeMaskTests
{
    private const long MaskBytes = 400_000_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static string Parity(string file) => Path.Combine(Repo.Engines, "tiny-inpaint", "parity", file);

    [Fact]
    public async Task A_huge_zero_filled_mask_is_refused_from_its_first_bytes_without_growing_memory()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), inbox = Path.Combine(root, "inbox");
        Directory.CreateDirectory(inbox);
        using var d = DaemonProcess.Start(work, [new { Root = root, Model = "tiny-inpaint", SettleSeconds = 0.2, PollMilliseconds = 100, NoiseScale = 0.0, MaskWaitSeconds = 30.0 }],
            maxJobsInFlight: 1);
        // Warm-up: the first job grows the heap and the engine's buffers whatever its mask.
        File.Copy(Parity("a_lq.mask.png"), Path.Combine(inbox, "warm.mask.png"));
        File.Copy(Parity("a_lq.png"), Path.Combine(inbox, "warm.png"));
        string done = Path.Combine(root, "done"), failed = Path.Combine(root, "failed");
        await WaitUntil(() => File.Exists(Path.Combine(done, "warm.png")) || d.HasExited, Timeout, () => "warm-up not restored; log:\n" + d.Log());
        long before = PeakResident(d.Pid);

        // Zero-filled (sparse: nothing on disk, 400 MB to whoever reads it), under the daemon's input limit
        // (8 bytes per allowed pixel + 64 MiB = 467 MB at the default 50 MP).
        string mask = Path.Combine(work, "big.mask.png");
        using (FileStream f = File.Create(mask)) f.SetLength(MaskBytes);
        File.Move(mask, Path.Combine(inbox, "big.mask.png"));
        File.Copy(Parity("a_lq.png"), Path.Combine(inbox, "big.png"));
        string error = Path.Combine(failed, "big.png.error.json");
        await WaitUntil(() => File.Exists(error) || File.Exists(Path.Combine(done, "big.png")) || d.HasExited, Timeout, () => "big.png not settled; log:\n" + d.Log());
        long grown = PeakResident(d.Pid) - before;
        Console.WriteLine($"peak RSS grew by {grown >> 20} MiB for a {MaskBytes / 1_000_000} MB zero-filled mask");

        Assert.True(File.Exists(error), "big.png was not refused; log:\n" + d.Log());
        string reason = System.Text.Json.JsonDocument.Parse(File.ReadAllText(error)).RootElement.GetProperty("reason").GetString()!;
        Assert.StartsWith("big.png: its mask big.mask.png is not a readable image", reason);
        Assert.Contains("does not start like a PNG, JPEG, TIFF or WebP file", reason);
        Assert.True(grown < 32L << 20, $"peak RSS grew by {grown >> 20} MiB while a {MaskBytes / 1_000_000} MB mask was refused: it was read into memory");
        Assert.Equal(File.ReadAllBytes(Parity("a_lq.png")), File.ReadAllBytes(Path.Combine(failed, "big.png"))); // the original stays intact
        Assert.True(d.Terminate(TimeSpan.FromSeconds(30)), d.Log());
        Assert.Equal(0, d.ExitCode);
    }

    /// <summary>VmHWM: the most resident memory the process has had.</summary>
    private static long PeakResident(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("no VmHWM in /proc/PID/status");
    }
}
