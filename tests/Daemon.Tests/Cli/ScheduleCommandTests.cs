using System.Text.Json;
using ResShift.Daemon.Cli;

namespace ResShift.Daemon.Tests.Cli;

public class ScheduleCommandTests
{
    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => CliRun.Run(args);

    [Theory]
    [InlineData("resshift-realsr-x4-v3", "t4")]
    [InlineData("resshift-realsr-x4-v1", "t15")]
    public async Task JsonHasTheProductShapeAndGoldenNumbers(string model, string key)
    {
        var (code, stdout, stderr) = await Run("schedule", "--model", model, "--json", "--models-dir", Restore.Repo.Engines);
        Assert.True(code == 0, stderr);
        using var printed = JsonDocument.Parse(stdout);
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "golden", "resshift_schedule.json")));
        JsonElement g = golden.RootElement.GetProperty(key);
        JsonElement p = printed.RootElement;

        Assert.Equal(new[] { "T", "kappa", "sqrt_eta", "eta", "c1", "c2", "sigma", "input_std", "prior_std" },
            p.EnumerateObject().Select(x => x.Name));
        Assert.Equal(g.GetProperty("T").GetInt32(), p.GetProperty("T").GetInt32());
        Assert.Equal(2.0, p.GetProperty("kappa").GetDouble());
        foreach (string name in new[] { "sqrt_eta", "eta", "c1", "c2", "sigma", "input_std" })
        {
            double[] expected = g.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();
            double[] actual = p.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12, $"{name}[{i}]");
        }
        Assert.Equal(0.0, p.GetProperty("sigma")[0].GetDouble());
        Assert.True(Math.Abs(g.GetProperty("prior_std").GetDouble() - p.GetProperty("prior_std").GetDouble()) <= 1e-12);
    }

    [Fact]
    public async Task UnknownModelIsAUsageErrorNamingTheKnownOnes()
    {
        var (code, _, stderr) = await Run("schedule", "--model", "nope", "--models-dir", Restore.Repo.Engines);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown model 'nope'", stderr);
        Assert.Contains("resshift-realsr-x4-v3", stderr);
    }

    [Fact]
    public async Task MissingRequiredOptionAndUnknownCommandExit2()
    {
        Assert.Equal(ExitCodes.Usage, (await Run("schedule")).Code);
        Assert.Equal(ExitCodes.Usage, (await Run("frobnicate")).Code);
    }

    [Fact]
    public async Task TableOutputListsEveryStep()
    {
        var (code, stdout, _) = await Run("schedule", "--model", "resshift-realsr-x4-v1", "--models-dir", Restore.Repo.Engines);
        Assert.Equal(0, code);
        Assert.Equal(2 + 15, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
