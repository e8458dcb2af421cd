using System.Diagnostics;
using System.Security.Cryptography;
using ResShift.Daemon.Tests.Serve;
using ResShift.Pipeline.Imaging;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>
/// What someone who can write into an inbox can try, against the real daemon (one process for all cases,
/// each case in its own inbox subfolder): read or write outside the root through links, stall the intake with
/// FIFOs or huge junk, lose originals or results through name collisions. Numbers are issue 15's cases.
/// </summary>
public sealed class HostileWriterTests(HostileRoot root) : IClassFixture<HostileRoot>
{
    [Fact]
    public async Task Case2_a_file_reached_through_a_directory_symlink_is_refused_and_nothing_outside_is_read()
    {
        Directory.CreateDirectory(Path.Combine(root.Inbox, "c2"));
        File.CreateSymbolicLink(Path.Combine(root.Inbox, "c2", "dirlink"), root.Outside);
        File.CreateSymbolicLink(Path.Combine(root.Inbox, "c2", "evil.png"), Path.Combine(root.Inbox, "c2", "dirlink", "photo.png"));

        await root.WaitFor(() => File.Exists(Path.Combine(root.Failed, "c2", "evil.png.error.json")) && File.Exists(Path.Combine(root.Failed, "c2", "dirlink.error.json")));
        Assert.Contains("symbolic link", root.ErrorReason("c2/evil.png"));
        Assert.False(File.Exists(Path.Combine(root.Outbox, "c2", "evil.png")), "the outside photo was restored into the outbox");
        // The links were moved aside as links: their targets are untouched.
        Assert.NotNull(new FileInfo(Path.Combine(root.Failed, "c2", "evil.png")).LinkTarget);
        Assert.Equal(["photo.png"], root.OutsideEntries());
    }

    [Fact]
    public async Task Case8_a_symlink_to_an_outside_folder_is_refused_once_and_moved_aside()
    {
        Directory.CreateDirectory(Path.Combine(root.Inbox, "c8"));
        File.CreateSymbolicLink(Path.Combine(root.Inbox, "c8", "elsewhere"), root.Outside);
        await root.WaitFor(() => File.Exists(Path.Combine(root.Failed, "c8", "elsewhere.error.json")));
        Assert.False(Path.Exists(Path.Combine(root.Inbox, "c8", "elsewhere")));
        await Task.Delay(1500); // many scans later
        Assert.Single(root.Daemon.Log().Split('\n'), l => l.Contains("refusing c8/elsewhere", StringComparison.Ordinal));
        Assert.Equal(["photo.png"], root.OutsideEntries());
    }

    [Fact]
    public async Task Case7_fifos_and_huge_junk_are_refused_without_blocking_and_the_intake_keeps_working()
    {
        string dir = Directory.CreateDirectory(Path.Combine(root.Inbox, "c7")).FullName;
        for (int i = 0; i < 5; i++) MkFifo(Path.Combine(dir, $"pipe{i}.png"));
        using (var junk = File.Create(Path.Combine(dir, "junk.png"))) junk.SetLength(1L << 30); // 1 GiB of zeros
        File.WriteAllBytes(Path.Combine(dir, "zeros.png"), new byte[4 << 20]);
        long rssBefore = root.Daemon.ResidentBytes();
        WritePng(Path.Combine(dir, "after.png"), 16, 16, 7);

        await root.WaitFor(() => File.Exists(Path.Combine(root.Outbox, "c7", "after.png")) && File.Exists(Path.Combine(root.Failed, "c7", "junk.png.error.json"))
            && Enumerable.Range(0, 5).All(i => File.Exists(Path.Combine(root.Failed, "c7", $"pipe{i}.png.error.json"))));
        Assert.Contains("not a regular file", root.ErrorReason("c7/pipe0.png"));
        string junkReason = root.ErrorReason("c7/junk.png");
        Assert.True(junkReason.Contains("limit", StringComparison.Ordinal) || junkReason.Contains("does not start like", StringComparison.Ordinal), junkReason);
        await root.WaitFor(() => File.Exists(Path.Combine(root.Failed, "c7", "zeros.png.error.json")));
        Assert.Contains("does not start like", root.ErrorReason("c7/zeros.png"));
        // Nothing was read whole: the resident set did not grow by anything like the junk's size.
        Assert.True(root.Daemon.ResidentBytes() - rssBefore < 256L << 20, $"RSS grew from {rssBefore >> 20} MiB to {root.Daemon.ResidentBytes() >> 20} MiB");
    }

    [Fact]
    public async Task Case5_two_inputs_mapping_to_one_output_get_distinct_outputs_each_with_its_own_sidecar()
    {
        string dir = Directory.CreateDirectory(Path.Combine(root.Inbox, "c5")).FullName;
        WriteJpeg(Path.Combine(dir, "photo.jpg"), 16, 16, 1);
        WritePng(Path.Combine(dir, "photo.png"), 16, 16, 2);
        string jpgSha = Sha(Path.Combine(dir, "photo.jpg")), pngSha = Sha(Path.Combine(dir, "photo.png"));

        await root.WaitFor(() => File.Exists(Path.Combine(root.Done, "c5", "photo.jpg")) && File.Exists(Path.Combine(root.Done, "c5", "photo.png")));
        Assert.Equal(["photo-2.png", "photo-2.png.resshift.json", "photo.png", "photo.png.resshift.json"], Files(Path.Combine(root.Outbox, "c5")));
        var byInput = new[] { "photo.png", "photo-2.png" }.ToDictionary(o => root.Sidecar("c5/" + o).GetProperty("input").GetProperty("sha256").GetString()!, o => o);
        Assert.Equal(2, byInput.Count);
        Assert.Contains(jpgSha, byInput.Keys);
        Assert.Contains(pngSha, byInput.Keys);
        foreach (var (sha, output) in byInput)
            Assert.Equal(output, Path.GetFileName(root.Sidecar("c5/" + output).GetProperty("output").GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Case6_the_same_name_dropped_twice_keeps_both_originals_and_both_results()
    {
        string dir = Directory.CreateDirectory(Path.Combine(root.Inbox, "c6")).FullName;
        WritePng(Path.Combine(dir, "scan.png"), 16, 16, 11);
        string first = Sha(Path.Combine(dir, "scan.png"));
        await root.WaitFor(() => File.Exists(Path.Combine(root.Done, "c6", "scan.png")));
        WritePng(Path.Combine(dir, "scan.png"), 16, 16, 12);
        string second = Sha(Path.Combine(dir, "scan.png"));
        await root.WaitFor(() => File.Exists(Path.Combine(root.Done, "c6", "scan-2.png")));

        Assert.Equal(first, Sha(Path.Combine(root.Done, "c6", "scan.png")));
        Assert.Equal(second, Sha(Path.Combine(root.Done, "c6", "scan-2.png")));
        Assert.Equal(first, root.Sidecar("c6/scan.png").GetProperty("input").GetProperty("sha256").GetString());
        Assert.Equal(second, root.Sidecar("c6/scan-2.png").GetProperty("input").GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Case16_a_forged_error_file_is_kept_and_the_real_one_goes_beside_a_distinct_name()
    {
        string dir = Directory.CreateDirectory(Path.Combine(root.Inbox, "c16")).FullName;
        File.WriteAllText(Path.Combine(dir, "bad.png.error.json"), "{\"reason\":\"forged\"}");
        await root.WaitFor(() => File.Exists(Path.Combine(root.Failed, "c16", "bad.png.error.json")));
        File.WriteAllText(Path.Combine(dir, "bad.png"), "not an image at all");
        await root.WaitFor(() => File.Exists(Path.Combine(root.Failed, "c16", "bad-2.png.error.json")));
        Assert.Equal("{\"reason\":\"forged\"}", File.ReadAllText(Path.Combine(root.Failed, "c16", "bad.png.error.json")));
        Assert.Equal("not an image at all", File.ReadAllText(Path.Combine(root.Failed, "c16", "bad-2.png")));
        Assert.Equal("c16/bad.png", System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(root.Failed, "c16", "bad-2.png.error.json"))).RootElement.GetProperty("input").GetString());
    }

    [Fact]
    public async Task Case12_long_names_are_restored_with_their_sidecar_or_refused_with_an_error_file()
    {
        string dir = Directory.CreateDirectory(Path.Combine(root.Inbox, "c12")).FullName;
        string fits = new string('f', 236) + ".png", tooLong = new string('t', 246) + ".png"; // 240 and 250 bytes
        WritePng(Path.Combine(dir, fits), 16, 16, 3);
        File.Copy(Path.Combine(dir, fits), Path.Combine(dir, "." + tooLong[..100] + ".part"));
        File.Move(Path.Combine(dir, "." + tooLong[..100] + ".part"), Path.Combine(dir, tooLong));

        await root.WaitFor(() => File.Exists(Path.Combine(root.Done, "c12", fits)) && File.Exists(Path.Combine(root.Failed, "c12", tooLong)));
        Assert.True(File.Exists(Path.Combine(root.Outbox, "c12", fits + ".resshift.json")), "output without its sidecar");
        string error = Assert.Single(Directory.GetFiles(Path.Combine(root.Failed, "c12"), "*.error.json"));
        Assert.StartsWith(new string('t', 200) + "~", Path.GetFileName(error));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(error));
        Assert.Equal("c12/" + tooLong, doc.RootElement.GetProperty("input").GetString());
        Assert.Contains("the name is 250 bytes", doc.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Case16_a_file_with_a_future_mtime_is_taken_once_it_has_been_seen_unchanged()
    {
        string dir = Directory.CreateDirectory(Path.Combine(root.Inbox, "c16t")).FullName;
        WritePng(Path.Combine(dir, "future.png"), 16, 16, 8);
        File.SetLastWriteTimeUtc(Path.Combine(dir, "future.png"), DateTime.UtcNow.AddDays(1));
        await root.WaitFor(() => File.Exists(Path.Combine(root.Done, "c16t", "future.png")), 60);
        Assert.True(File.Exists(Path.Combine(root.Outbox, "c16t", "future.png.resshift.json")));
    }

    internal static void MkFifo(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]))!;
        Assert.True(p.WaitForExit(10_000));
        Assert.Equal(0, p.ExitCode);
    }

    private static void WriteJpeg(string path, int width, int height, int seed)
    {
        using PlanarImage img = PlanarImage.Allocate(width, height, withAlpha: false);
        var rng = new Random(seed);
        Span<float> rgb = img.Rgb;
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (float)rng.NextDouble();
        string temp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".part");
        new ImageEncoder().Encode(img, new ImageMetadata(ChannelLayout.Rgb, 8, ImageFormat.Jpeg), temp, ImageFormat.Jpeg);
        File.Move(temp, path);
    }

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
