using System.Text.Json;
using ResShift.Pipeline.Resampling;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Resampling;

/// <summary>Against arrays produced by torch.nn.functional.interpolate / F.pad (Data/resampling/make_fixtures.py).</summary>
public class ResamplingTests
{
    private static IEnumerable<JsonElement> Cases(string op)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.PathOf("resampling", "torch_fixtures.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("op").GetString() == op)
            .Select(c => c.Clone()).ToList();
    }

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
    private static int[] Shape(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    public static TheoryData<string> BicubicNames => new(Cases("bicubic").Select(c => c.GetProperty("name").GetString()!));
    public static TheoryData<string> ReflectNames => new(Cases("reflect").Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(BicubicNames))]
    public void BicubicMatchesTorchInterpolate(string name)
    {
        JsonElement c = Cases("bicubic").Single(x => x.GetProperty("name").GetString() == name);
        int[] s = Shape(c.GetProperty("input_shape"));
        int scale = c.GetProperty("scale").GetInt32();
        float[] expected = Floats(c.GetProperty("output"));
        var actual = new float[s[0] * s[1] * scale * s[2] * scale];
        new BicubicUpsampler(scale).Upsample(Floats(c.GetProperty("input")), s[0], s[1], s[2], actual);
        Assert.Equal(expected.Length, actual.Length);
        double maxErr = expected.Select((e, i) => (double)Math.Abs(e - actual[i])).Max();
        Assert.True(maxErr < 2e-6, $"{name}: max abs error {maxErr}");
    }

    [Fact]
    public void BicubicIsNotClamped()
    {
        // A step edge overshoots beyond [-1, 1] with a = -0.75; torch keeps the overshoot.
        JsonElement c = Cases("bicubic").Single(x => x.GetProperty("name").GetString() == "step_edge_1x4x4_x4");
        Assert.True(Floats(c.GetProperty("output")).Max() > 1f);
        var actual = new float[16 * 16];
        new BicubicUpsampler(4).Upsample(Floats(c.GetProperty("input")), 1, 4, 4, actual);
        Assert.True(actual.Max() > 1f && actual.Min() < -1f);
    }

    [Theory]
    [MemberData(nameof(ReflectNames))]
    public void ReflectPadMatchesTorchPad(string name)
    {
        JsonElement c = Cases("reflect").Single(x => x.GetProperty("name").GetString() == name);
        int[] s = Shape(c.GetProperty("input_shape"));
        int[] o = Shape(c.GetProperty("output_shape"));
        var actual = new float[o[0] * o[1] * o[2]];
        ReflectPad.PadBottomRight(Floats(c.GetProperty("input")), s[0], s[1], s[2], actual, o[1], o[2]);
        Assert.Equal(Floats(c.GetProperty("output")), actual);
    }

    [Fact]
    public void ReflectionContinuesPastOneMirrorForTinyImages()
    {
        // torch refuses pad >= size; we keep reflecting with period 2(n-1), and replicate a 1-pixel side.
        Assert.Equal(new[] { 0, 1, 2, 1, 0, 1, 2, 1, 0 }, Enumerable.Range(0, 9).Select(i => ReflectPad.SourceIndex(i, 3)));
        Assert.Equal(new[] { 0, 1, 0, 1, 0 }, Enumerable.Range(0, 5).Select(i => ReflectPad.SourceIndex(i, 2)));
        Assert.All(Enumerable.Range(0, 64), i => Assert.Equal(0, ReflectPad.SourceIndex(i, 1)));

        var image = new float[] { 1, 2, 3, 4, 5, 6 }; // 1×2×3
        var padded = new float[64 * 64];
        ReflectPad.PadBottomRight(image, 1, 2, 3, padded, 64, 64);
        Assert.Equal(new float[] { 1, 2, 3, 2, 1, 2, 3 }, padded[..7]);
        Assert.Equal(new float[] { 4, 5, 6, 5, 1 + 3 }, new[] { padded[64], padded[65], padded[66], padded[67], padded[128] + 3 });
    }

    [Fact]
    public void SinglePixelUpsamplesToAConstant()
    {
        var up = new float[3 * 16];
        new BicubicUpsampler(4).Upsample(new float[] { 0.25f, -0.5f, 1f }, 3, 1, 1, up);
        Assert.All(up[..16], v => Assert.Equal(0.25f, v, 6));
        Assert.All(up[32..], v => Assert.Equal(1f, v, 6));
    }
}
