using System.Text.Json;
using ResShift.Engines.OnnxRuntime;

namespace ResShift.Engines.Tests.OnnxRuntime;

/// <summary>Session config entries and ORT's own profiler, as operators reach them (RESSHIFT_ORT_CONFIG / _PROFILE).</summary>
public sealed class DiagnosticsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("resshift-ort-diag-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void RunOnce(OrtSession session) =>
        SessionTests.RunAddMulMatMul(session, TestModels.Pattern(8, 1), TestModels.Pattern(8, 2), 2);

    [Fact]
    public void Profile_is_written_when_the_session_is_released_and_lists_every_node()
    {
        var prefix = Path.Combine(_dir, "prof");
        using (var session = OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"), new OrtSessionSettings { ProfileFilePrefix = prefix }))
        {
            RunOnce(session);
            RunOnce(session);
        }
        var file = Assert.Single(Directory.GetFiles(_dir, "prof_*.json"));
        using var trace = JsonDocument.Parse(File.ReadAllText(file));
        var events = trace.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, events.Count(e => e.GetProperty("name").GetString() == "model_run"));
        var ops = events.Where(e => e.GetProperty("cat").GetString() == "Node" && e.TryGetProperty("args", out var a) && a.TryGetProperty("op_name", out _))
            .Select(e => e.GetProperty("args").GetProperty("op_name").GetString()).ToHashSet();
        Assert.Contains("MatMul", ops);
    }

    [Fact]
    public void No_profile_without_a_prefix()
    {
        using (var session = OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"), new OrtSessionSettings()))
            RunOnce(session);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Engine_set_writes_one_profile_per_graph()
    {
        var prefix = Path.Combine(_dir, "set");
        var options = new OnnxRuntimeEngineOptions { Session = new OrtSessionSettings { ProfileFilePrefix = prefix } };
        using (new OnnxRuntimeEngineSet(TestModels.PathOf("encoder.onnx"), TestModels.PathOf("denoiser.onnx"), TestModels.PathOf("decoder.onnx"),
                   TestModels.Geometry, 2, options))
        {
        }
        foreach (var graph in new[] { "encoder", "denoiser", "decoder" })
            Assert.Single(Directory.GetFiles(_dir, $"set-{graph}_*.json"));
    }

    [Fact]
    public void Config_entries_reach_the_session()
    {
        // Asking ORT to read the file in its own ORT format makes loading an .onnx file fail: proof the entry arrived.
        var settings = new OrtSessionSettings { ConfigEntries = [new("session.load_model_format", "ORT")] };
        var error = Assert.Throws<OnnxRuntimeException>(() => OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"), settings));
        Assert.False(string.IsNullOrWhiteSpace(error.NativeMessage));
        using var fine = OrtSession.FromFile(TestModels.PathOf("add_mul_matmul.onnx"),
            new OrtSessionSettings { ConfigEntries = [new("session.load_model_format", "ONNX"), new("session.intra_op.allow_spinning", "0")] });
        RunOnce(fine);
    }

    [Fact]
    public void Environment_overrides_parse_and_apply()
    {
        var env = new Dictionary<string, string>
        {
            ["RESSHIFT_ORT_ARENA"] = "0",
            ["RESSHIFT_ORT_CONFIG"] = " session.intra_op.allow_spinning = 0 ;session.inter_op.allow_spinning=0;",
            ["RESSHIFT_ORT_PROFILE"] = "/tmp/p",
        };
        var applied = OrtEnvironmentSettings.Apply(new OrtSessionSettings { IntraOpThreads = 3 }, k => env.GetValueOrDefault(k));
        Assert.False(applied.CpuMemArena);
        Assert.Equal(3, applied.IntraOpThreads);
        Assert.Equal("/tmp/p", applied.ProfileFilePrefix);
        Assert.Equal([new("session.intra_op.allow_spinning", "0"), new("session.inter_op.allow_spinning", "0")], applied.ConfigEntries);

        var untouched = OrtEnvironmentSettings.Apply(new OrtSessionSettings(), _ => null);
        Assert.True(untouched.CpuMemArena);
        Assert.Empty(untouched.ConfigEntries);
        Assert.Null(untouched.ProfileFilePrefix);
    }

    [Theory]
    [InlineData("novalue")]
    [InlineData("=0")]
    [InlineData("key=")]
    [InlineData("a=1;broken")]
    public void Malformed_config_is_an_error_naming_the_entry(string text)
    {
        var error = Assert.Throws<FormatException>(() => OrtEnvironmentSettings.ParseConfig(text));
        Assert.Contains("RESSHIFT_ORT_CONFIG", error.Message);
    }
}
