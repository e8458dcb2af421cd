using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace ResShift.Daemon.Tests.RabbitMq;

/// <summary>The fields of deploy/kubernetes that a typo would silently break: probes, GPU, grace period, the KEDA queue.</summary>
public class KubernetesManifestTests
{
    private static readonly string Dir = Path.Combine(Repo.Root(), "deploy", "kubernetes");

    private static List<Dictionary<object, object>> Documents()
    {
        var docs = new List<Dictionary<object, object>>();
        IDeserializer yaml = new DeserializerBuilder().Build();
        foreach (string file in Directory.GetFiles(Dir, "*.yaml"))
        {
            var parser = new YamlDotNet.Core.Parser(new StringReader(File.ReadAllText(file)));
            parser.Consume<YamlDotNet.Core.Events.StreamStart>();
            while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
                if (yaml.Deserialize<Dictionary<object, object>>(parser) is { } d) docs.Add(d);
        }
        return docs;
    }

    private static Dictionary<object, object> Kind(List<Dictionary<object, object>> docs, string kind) =>
        Assert.Single(docs, d => (string)d["kind"] == kind);

    private static object At(object node, params object[] path)
    {
        foreach (object key in path)
            node = key is int i ? ((List<object>)node)[i] : ((Dictionary<object, object>)node)[key];
        return node;
    }

    [Fact]
    public void DeploymentProbesGpuAndGracePeriodMatchTheDaemon()
    {
        var docs = Documents();
        var deployment = Kind(docs, "Deployment");
        object pod = At(deployment, "spec", "template", "spec");
        object container = At(pod, "containers", 0);
        Assert.Equal("/readyz", At(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("9464", At(container, "readinessProbe", "httpGet", "port").ToString());
        Assert.Equal("/healthz", At(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("9464", At(container, "livenessProbe", "httpGet", "port").ToString());
        Assert.Equal("1", At(container, "resources", "limits", "nvidia.com/gpu").ToString());

        var args = ((List<object>)At(container, "args")).Select(a => a.ToString()).ToList();
        Assert.Equal("serve", args[0]);
        Assert.Equal("0.0.0.0:9464", args[args.IndexOf("--http") + 1]);

        using JsonDocument config = JsonDocument.Parse((string)At(Kind(docs, "ConfigMap"), "data", "resshift.json"));
        int drain = config.RootElement.GetProperty("DrainSeconds").GetInt32();
        int grace = int.Parse(At(pod, "terminationGracePeriodSeconds").ToString()!);
        Assert.True(grace > drain + 30, $"terminationGracePeriodSeconds {grace} must exceed DrainSeconds {drain} + 30 s shutdown margin");
        Assert.Equal("0.0.0.0:9464", config.RootElement.GetProperty("Http").GetString());

        var env = ((List<object>)At(container, "env")).Cast<Dictionary<object, object>>().Single(e => (string)e["name"] == "RESSHIFT_RabbitMq__0__Uri");
        Assert.Equal("resshift-amqp", At(env, "valueFrom", "secretKeyRef", "name"));
    }

    [Fact]
    public void KedaScalesTheDeploymentOnTheConfiguredQueue()
    {
        var docs = Documents();
        var scaled = Kind(docs, "ScaledObject");
        Assert.Equal(At(Kind(docs, "Deployment"), "metadata", "name"), At(scaled, "spec", "scaleTargetRef", "name"));
        object trigger = At(scaled, "spec", "triggers", 0);
        Assert.Equal("rabbitmq", At(trigger, "type"));
        Assert.Equal("QueueLength", At(trigger, "metadata", "mode"));
        using JsonDocument config = JsonDocument.Parse((string)At(Kind(docs, "ConfigMap"), "data", "resshift.json"));
        JsonElement queue = config.RootElement.GetProperty("RabbitMq")[0];
        Assert.Equal(queue.GetProperty("Queue").GetString(), At(trigger, "metadata", "queueName"));
        Assert.Equal("resshift.jobs", At(trigger, "metadata", "queueName"));
        Assert.Equal(config.RootElement.GetProperty("MaxJobsInFlight").GetInt32().ToString(), At(trigger, "metadata", "value"));
        Assert.Equal(At(trigger, "authenticationRef", "name"), At(Kind(docs, "TriggerAuthentication"), "metadata", "name"));
        // Split videos: their segment messages are work too.
        object segments = At(scaled, "spec", "triggers", 1);
        Assert.Equal(queue.GetProperty("Queue").GetString() + ".segments", At(segments, "metadata", "queueName"));
        Assert.Equal(At(trigger, "metadata", "value"), At(segments, "metadata", "value"));
    }
}
