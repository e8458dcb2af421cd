using System.Text.Json;
using ResShift.Daemon.Backends;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Models;
using YamlDotNet.Serialization;

namespace ResShift.Daemon.Tests.Gpu;

/// <summary>deploy/kubernetes says what the daemon does on a GPU pod: TensorRT or nothing, engines kept on a volume.</summary>
public class GpuDeploymentManifestTests
{
    private static readonly string Dir = Path.Combine(Repo.Root(), "deploy", "kubernetes");

    private static Dictionary<object, object> Load(string file) =>
        new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(Path.Combine(Dir, file)));

    private static object At(object node, params object[] path)
    {
        foreach (object key in path)
            node = key is int i ? ((List<object>)node)[i] : ((Dictionary<object, object>)node)[key];
        return node;
    }

    [Fact]
    public void A_gpu_pod_runs_tensorrt_or_refuses_and_keeps_its_built_engines_on_a_volume()
    {
        using JsonDocument config = JsonDocument.Parse((string)At(Load("configmap.yaml"), "data", "resshift.json"));
        // Auto on a GPU pod would quietly run on the CPU when engines are missing; TensorRt builds them or exits 2.
        Assert.Equal("TensorRt", config.RootElement.GetProperty("Engine").GetString());
        Assert.True(Enum.TryParse<EngineKind>(config.RootElement.GetProperty("Engine").GetString(), out _));

        object pod = At(Load("deployment.yaml"), "spec", "template", "spec");
        object container = At(pod, "containers", 0);
        var env = ((List<object>)At(container, "env")).Cast<Dictionary<object, object>>();
        string cache = (string)env.Single(e => (string)e["name"] == "RESSHIFT_TRT_CACHE")["value"];
        var mounts = ((List<object>)At(container, "volumeMounts")).Cast<Dictionary<object, object>>();
        string volume = (string)mounts.Single(m => (string)m["mountPath"] == cache)["name"];
        var volumes = ((List<object>)At(pod, "volumes")).Cast<Dictionary<object, object>>();
        Assert.True(volumes.Single(v => (string)v["name"] == volume).ContainsKey("persistentVolumeClaim"), "the engine cache must outlive the pod");

        // The daemon reads that variable: engines go to <cache>/<model id>.
        ModelManifest m = new ModelRegistry(Repo.Engines).Get("tiny-x4");
        Assert.Equal(Path.Combine(cache, "tiny-x4"), EngineSetFactory.TrtCacheDirectory(m, name => name == "RESSHIFT_TRT_CACHE" ? cache : null));
        Assert.Equal(Path.Combine(m.Directory, "trt"), EngineSetFactory.TrtCacheDirectory(m, _ => null));

        // First-start builds take minutes: the startup probe must allow them.
        int period = int.Parse(At(container, "startupProbe", "periodSeconds").ToString()!);
        int failures = int.Parse(At(container, "startupProbe", "failureThreshold").ToString()!);
        Assert.True(period * failures >= 600, $"startup probe allows {period * failures} s");
    }
}
