using System.Text.Json;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Diffusion;

public class ScheduleTests
{
    private static JsonElement Golden(string key)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.PathOf("golden", "resshift_schedule.json")));
        return doc.RootElement.GetProperty(key).Clone();
    }

    public static TheoryData<string> Keys => new() { "t4", "t15" };

    [Theory]
    [MemberData(nameof(Keys))]
    public void EveryValueMatchesGoldenWithin1e12(string key)
    {
        JsonElement g = Golden(key);
        var s = new DiffusionSchedule(new ScheduleParameters(
            g.GetProperty("T").GetInt32(), g.GetProperty("kappa").GetDouble(), g.GetProperty("min_noise_level").GetDouble(),
            g.GetProperty("etas_end").GetDouble(), g.GetProperty("power").GetDouble()));

        var arrays = new Dictionary<string, double[]>
        {
            ["sqrt_eta"] = s.SqrtEta, ["eta"] = s.Eta, ["eta_prev"] = s.EtaPrev, ["alpha"] = s.Alpha,
            ["c1"] = s.C1, ["c2"] = s.C2, ["posterior_variance"] = s.PosteriorVariance,
            ["posterior_variance_clipped"] = s.PosteriorVarianceClipped, ["sigma"] = s.Sigma, ["input_std"] = s.InputStd,
        };
        int compared = 0;
        foreach (var (name, actual) in arrays)
        {
            double[] expected = g.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int t = 0; t < expected.Length; t++, compared++)
                Assert.True(Math.Abs(expected[t] - actual[t]) <= 1e-12, $"{key}.{name}[{t}]: expected {expected[t]:R}, got {actual[t]:R}");
        }
        Assert.True(Math.Abs(g.GetProperty("prior_std").GetDouble() - s.PriorStd) <= 1e-12);
        Assert.Equal(10 * s.T, compared);
    }

    [Fact]
    public void SigmaZeroAtLastStepAndDeterministicEndpoint()
    {
        var s = new DiffusionSchedule(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3));
        Assert.Equal(0.0, s.Sigma[0]);
        Assert.Equal(0.0, s.C1[0]);
        Assert.Equal(1.0, s.C2[0]);
        Assert.Equal(0.1, s.SqrtEta[0], 15);
        Assert.Equal(1.98, s.PriorStd, 12);
    }

    [Theory]
    [InlineData(1, 2.0, 0.2, 0.99, 0.3)]
    [InlineData(4, 0.0, 0.2, 0.99, 0.3)]
    [InlineData(4, 2.0, 0.2, 1.5, 0.3)]
    [InlineData(4, 2.0, -1, 0.99, 0.3)]
    public void InvalidParametersAreRefused(int t, double kappa, double mnl, double end, double power) =>
        Assert.Throws<ArgumentException>(() => new DiffusionSchedule(new ScheduleParameters(t, kappa, mnl, end, power)));

    [Fact]
    public void OfficialManifestsResolveToGoldenSchedules()
    {
        var registry = new ModelRegistry(Path.Combine(TestData.RepositoryRoot(), "engines"));
        foreach (var (id, key) in new[] { ("resshift-realsr-x4-v3", "t4"), ("resshift-realsr-x4-v1", "t15") })
        {
            ModelManifest m = registry.Get(id);
            var s = new DiffusionSchedule(m.ScheduleParameters);
            double[] golden = Golden(key).GetProperty("sigma").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(golden.Length, s.T);
            for (int t = 0; t < s.T; t++) Assert.True(Math.Abs(golden[t] - s.Sigma[t]) <= 1e-12);
            Assert.False(m.Licence.CommercialUse);
            Assert.Equal("NTU-S-Lab-1.0", m.Licence.Id);
        }
    }

    [Fact]
    public void SamplerConstantsScaleNoiseOnly()
    {
        var s = new DiffusionSchedule(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3));
        var half = new SamplerConstants(s, 0.5);
        Assert.Equal((float)(0.5 * s.PriorStd), half.PriorStd);
        Assert.Equal((float)(0.5 * s.Sigma[3]), half.Sigma[3]);
        Assert.Equal((float)s.C1[2], half.C1[2]);
        Assert.Equal((float)s.InputStd[1], half.InputStd[1]);
        var zero = new SamplerConstants(s, 0);
        Assert.All(zero.Sigma, v => Assert.Equal(0f, v));
        Assert.Equal(0f, zero.PriorStd);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplerConstants(s, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplerConstants(s, double.NaN));
    }

    [Fact]
    public void SinsrManifestsRunOneStepAtT14OfTheV1Schedule()
    {
        var registry = new ModelRegistry(Path.Combine(TestData.RepositoryRoot(), "engines"));
        var v1 = new DiffusionSchedule(registry.Get("resshift-realsr-x4-v1").ScheduleParameters);
        foreach (string id in new[] { "sinsr-realsr-x4-v1", "sinsr-realsr-x4-v2" })
        {
            ModelManifest m = registry.Get(id);
            var s = new DiffusionSchedule(m.ScheduleParameters);
            Assert.Equal([14], s.Timesteps);
            Assert.Equal(1, m.Steps);
            Assert.Equal(v1.InputStd, s.InputStd); // the same 15-step schedule, only its first step run
            Assert.Equal(v1.PriorStd, s.PriorStd);
            Assert.Equal(("CC-BY-NC-SA-4.0", false), (m.Licence.Id, m.Licence.CommercialUse));
        }
        Assert.Equal(Enumerable.Range(0, 15).Reverse(), v1.Timesteps);
        Assert.Equal(15, registry.Get("resshift-realsr-x4-v1").Steps);
    }

    [Theory]
    [InlineData(new[] { 14 }, true)]
    [InlineData(new[] { 14, 13, 12 }, true)]
    [InlineData(new[] { 13 }, false)]      // not from T-1: the prior x_T belongs to t = 14
    [InlineData(new[] { 14, 12 }, false)]  // c1/c2 of step t move to t-1 only
    [InlineData(new int[0], false)]
    public void TimestepsMustBeAPrefixOfTheLoop(int[] timesteps, bool valid)
    {
        var p = new ScheduleParameters(15, 2.0, 0.04, 0.99, 0.3, timesteps);
        if (valid) Assert.Equal(timesteps, new DiffusionSchedule(p).Timesteps);
        else Assert.Contains("timesteps", Assert.Throws<ArgumentException>(() => new DiffusionSchedule(p)).Message);
    }
}
