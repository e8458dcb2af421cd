using ResShift.Engines.Abstractions;

namespace ResShift.Engines.Tests.OnnxRuntime;

/// <summary>Paths of the committed test graphs and the geometry the engine-contract graphs were made for.</summary>
internal static class TestModels
{
    public static string PathOf(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", file);
        Assert.True(File.Exists(path), $"Test model {path} is missing; it should be copied from tests/Engines.Tests/Data.");
        return path;
    }

    /// <summary>LQ 4x4, image 16x16, latent 2x4x4 (see make_test_models.py).</summary>
    public static readonly ModelGeometry Geometry = new(LqTile: 4, Scale: 4, LatentFactor: 4, LatentChannels: 2);

    /// <summary>Deterministic, distinct values per position and seed, in roughly [-1, 1].</summary>
    public static float[] Pattern(int length, int seed)
    {
        var data = new float[length];
        for (var i = 0; i < length; i++)
            data[i] = MathF.Sin(0.37f * i + 1.3f * seed) * 0.9f + 0.01f * (seed % 7);
        return data;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (MathF.Abs(expected[i] - actual[i]) > tolerance * MathF.Max(1f, MathF.Abs(expected[i])))
                Assert.Fail($"Element {i}: expected {expected[i]}, got {actual[i]}.");
        }
    }
}
