using ResShift.Pipeline.Imaging;

namespace ResShift.Daemon.Tests.Serve;

internal static class WatchFixtures
{
    /// <summary>A small RGB PNG with content that depends on <paramref name="seed"/>.</summary>
    public static void WritePng(string path, int width, int height, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using PlanarImage img = PlanarImage.Allocate(width, height, withAlpha: false);
        var rng = new Random(seed);
        Span<float> rgb = img.Rgb;
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (float)rng.NextDouble();
        string temp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".part");
        new ImageEncoder().Encode(img, new ImageMetadata(ChannelLayout.Rgb, 8, ImageFormat.Png), temp, ImageFormat.Png);
        File.Move(temp, path); // appear complete, as a well-behaved producer does
    }

    public static string[] Files(string dir, string pattern = "*") =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, pattern, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                .Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal).ToArray()
            : [];

    public static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting: " + describe());
            await Task.Delay(100);
        }
    }
}
