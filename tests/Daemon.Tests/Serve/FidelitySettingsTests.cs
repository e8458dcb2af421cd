using System.Text;
using Microsoft.Extensions.Configuration;
using ResShift.Daemon.Inputs;
using ResShift.Daemon.Inputs.RabbitMq;
using ResShift.Daemon.Serve;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Models;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>Fidelity thresholds from the config file and from messages: bound, validated, off by default.</summary>
public class FidelitySettingsTests
{
    private static ServeSettings Bind(string json)
    {
        var settings = new ServeSettings();
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().Bind(settings);
        return settings;
    }

    [Fact]
    public void WatchRootsAndQueuesBindTheirThresholdsAndAreOffByDefault()
    {
        string root = Repo.TempDir();
        ServeSettings s = Bind($$"""
            { "Watch": [ { "Root": "{{root}}/a", "Fidelity": { "MinPsnrDb": 27.5, "MinSsim": 0.7 } }, { "Root": "{{root}}/b" } ],
              "RabbitMq": [ { "Queue": "q", "Roots": [ "{{root}}" ], "Fidelity": { "MinSsim": 0.6 } } ] }
            """);
        Assert.Equal(new FidelityThreshold { MinPsnrDb = 27.5, MinSsim = 0.7 }, s.Watch[0].Fidelity);
        Assert.Null(s.Watch[1].Fidelity);
        Assert.Equal(0.6, s.RabbitMq[0].Fidelity!.MinSsim);
        Assert.Null(s.RabbitMq[0].Fidelity!.MinPsnrDb);
        Assert.Empty(s.Problems(ModelRegistry.Discover(Repo.Engines)));
    }

    [Fact]
    public void OutOfRangeThresholdsAreConfigurationProblems()
    {
        string root = Repo.TempDir();
        ServeSettings s = Bind($$"""
            { "Watch": [ { "Root": "{{root}}/a", "Fidelity": { "MinPsnrDb": -3 } } ],
              "RabbitMq": [ { "Queue": "q", "Roots": [ "{{root}}" ], "Fidelity": { "MinSsim": 1.5 } } ] }
            """);
        var problems = s.Problems(ModelRegistry.Discover(Repo.Engines));
        Assert.Contains(problems, p => p.Contains("Fidelity.MinPsnrDb") && p.Contains(root));
        Assert.Contains(problems, p => p.Contains("queue q: Fidelity.MinSsim"));
    }

    [Fact]
    public void AMessageMaySetItsOwnThreshold()
    {
        static JobMessage Parse(string options) => JobMessage.Parse(Encoding.UTF8.GetBytes($$"""{"id":"a","input":"i.png","output":"o.png","options":{{options}}}"""), 65536);
        Assert.Equal(new FidelityThreshold { MinPsnrDb = 31, MinSsim = 0.8 }, Parse("""{"fidelity":{"min_psnr_db":31,"min_ssim":0.8}}""").Options.Fidelity);
        Assert.True(Parse("""{"fidelity":{}}""").Options.Fidelity!.IsOff); // an explicit opt-out of the queue's threshold
        Assert.Null(Parse("""{"seed":1}""").Options.Fidelity);
        var typo = Assert.Throws<JobRejectedException>(() => Parse("""{"fidelity":{"min_psnr":31}}"""));
        Assert.Contains("unknown property 'options.fidelity.min_psnr'", typo.Message);
        Assert.Contains("'options.fidelity.min_ssim' must be in", Assert.Throws<JobRejectedException>(() => Parse("""{"fidelity":{"min_ssim":2}}""")).Message);
        Assert.Contains("must be a number", Assert.Throws<JobRejectedException>(() => Parse("""{"fidelity":{"min_ssim":"high"}}""")).Message);
    }
}

/// <summary>How the intakes settle a job whose output the guard refused.</summary>
public class FidelityOutcomeTests
{
    [Theory]
    [InlineData(OutputDefect.NonFinite, "engine: non-finite-output")]
    [InlineData(OutputDefect.Constant, "engine: constant-output")]
    public void ARefusedOutputIsAPermanentEngineFailureWithItsReason(OutputDefect defect, string label)
    {
        var result = JobResult.Failure(new OutputRejectedException(defect, "the engine output holds 3 NaN"));
        // Permanent: folder jobs go straight to failed/ with an .error.json, queue jobs to the dead-letter queue; never retried into an output.
        Assert.Equal(OutcomeKind.Rejected, result.Kind);
        Assert.Equal(label, result.Class!.Label);
        Assert.False(result.Class.Transient);
        Assert.Equal("the engine output holds 3 NaN", result.Error);
    }
}
