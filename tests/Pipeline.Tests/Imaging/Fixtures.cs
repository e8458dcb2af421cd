using ResShift.Pipeline.Imaging;

namespace ResShift.Pipeline.Tests.Imaging;

/// <summary>Committed test images (Data/images, made by make-fixtures.sh) and the formulas behind the synthetic ones.</summary>
internal static class Fixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Data", "images", name);

    // Same formulas as make_png.py.
    public static (int R, int G, int B) Rgb16(int x, int y) =>
        ((x * 1031 + y * 17 + 5) % 65536, (y * 1297 + x * 3 + 11) % 65536, 65535 - (x * 701 + y * 409) % 65536);

    public static int Gray8(int x, int y) => (x * 7 + y * 13) % 256;

    public static (int Gray, int Alpha) GrayA16(int x, int y) => ((x * 3001 + y * 97) % 65536, (y * 6007 + x * 11 + 1) % 65536);

    public static (int R, int G, int B, int A) Rgba8(int x, int y) => (x * 6, y * 8, 128, (x + y * 40) % 256);

    /// <summary>The integer sample a float decodes from, at the given depth.</summary>
    public static int Sample(float value, int bitDepth) => SampleConverter.Quantise(value, bitDepth == 16 ? 65535f : 255f);

    public static int At(PlanarImage image, int channel, int x, int y, int bitDepth) =>
        Sample(channel == 3 ? image.Alpha[y * image.Width + x] : image.Plane(channel)[y * image.Width + x], bitDepth);
}

/// <summary>A scratch directory removed after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Root = Directory.CreateTempSubdirectory("resshift-imaging-").FullName;
    }

    public string Root { get; }

    public string File(string name) => System.IO.Path.Combine(Root, name);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
