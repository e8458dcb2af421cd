using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Models;

namespace ResShift.Daemon.Configuration;

/// <summary>One queue the daemon consumes: where the broker is, which roots its paths may touch, and the retry policy.</summary>
public sealed class RabbitMqSettings
{
    public string Uri { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";
    public string Queue { get; set; } = "resshift.jobs";

    /// <summary>Every input and output must resolve inside one of these; relative message paths are resolved against the first.</summary>
    public List<string> Roots { get; set; } = [];

    /// <summary>The model for messages that name none.</summary>
    public string Model { get; set; } = "tiny-x4";

    /// <summary>Further models a message may name (loaded at start as well).</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>Quorum-queue x-delivery-limit: deliveries that end in a requeue beyond this many dead-letter the message.</summary>
    public int DeliveryLimit { get; set; } = 5;

    /// <summary>Unacknowledged messages this daemon may hold; 0 = the pipeline's MaxJobsInFlight.</summary>
    public int Prefetch { get; set; }

    public string EventsExchange { get; set; } = "resshift.events";

    /// <summary>x-consumer-timeout for brokers that accept it per queue (3.12+); older ones use the broker-wide consumer_timeout.</summary>
    public int ConsumerTimeoutMinutes { get; set; } = 60;

    /// <summary>Messages larger than this are dead-lettered unread.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Outputs below this are held for review (null = off; a message's options.fidelity overrides it).</summary>
    public FidelityThreshold? Fidelity { get; set; }

    /// <summary>Split a video message with more than one segment into segment messages any daemon may take (a message's video.split overrides).</summary>
    public bool SplitVideos { get; set; } = true;

    public string DeadLetterExchange => Queue + ".dlx";

    /// <summary>Segments of split video jobs: a durable quorum queue with the work queue's delivery limit and dead-letter exchange.</summary>
    public string SegmentsQueue => Queue + ".segments";

    /// <summary>Jobs whose output is held for review: the original message with the figures in headers.</summary>
    public string ReviewQueue => Queue + ".review";
    public string DeadLetterQueue => Queue + ".dead";

    public IEnumerable<string> AllModels => Models.Prepend(Model).Distinct(StringComparer.Ordinal);

    public IEnumerable<string> Problems(ModelRegistry registry)
    {
        string q = string.IsNullOrWhiteSpace(Queue) ? "(unnamed)" : Queue;
        if (string.IsNullOrWhiteSpace(Queue)) yield return "a RabbitMq entry has no Queue";
        else if (Queue.Length > 200 || Queue.StartsWith("amq.", StringComparison.Ordinal)) yield return $"queue {q}: name must be at most 200 characters and not start with 'amq.'";
        if (!System.Uri.TryCreate(Uri, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("amqp" or "amqps"))
            yield return $"queue {q}: Uri must be amqp://USER:PASS@HOST:PORT/VHOST or amqps://... (got '{Redact(Uri)}')";
        if (Roots.Count == 0) yield return $"queue {q}: no Roots configured; message paths must resolve inside at least one";
        foreach (string r in Roots)
        {
            if (!Path.IsPathFullyQualified(r)) yield return $"queue {q}: root '{r}' must be an absolute path";
            else if (!Directory.Exists(r)) yield return $"queue {q}: root {r} does not exist or is not a directory";
        }
        foreach (string id in AllModels)
        {
            ModelManifest? m = registry.Models.FirstOrDefault(x => x.Id == id);
            if (m is null) yield return $"queue {q}: unknown model '{id}' (known: {string.Join(", ", registry.Models.Select(x => x.Id).Order())})";
            else if (!m.HasGraphs) yield return $"queue {q}: model '{id}' has no ONNX graphs; run 'make models MODEL={id}'";
        }
        if (DeliveryLimit < 1) yield return $"queue {q}: DeliveryLimit must be >= 1 (got {DeliveryLimit})";
        if (Prefetch is < 0 or > ushort.MaxValue) yield return $"queue {q}: Prefetch must be in 0..65535 (0 = pipeline capacity; got {Prefetch})";
        if (string.IsNullOrWhiteSpace(EventsExchange)) yield return $"queue {q}: EventsExchange must not be empty";
        if (ConsumerTimeoutMinutes < 1) yield return $"queue {q}: ConsumerTimeoutMinutes must be >= 1 (got {ConsumerTimeoutMinutes})";
        if (Fidelity is { } f)
            foreach (string problem in f.Problems($"queue {q}")) yield return problem;
        if (MaxMessageBytes < 1024) yield return $"queue {q}: MaxMessageBytes must be >= 1024 (got {MaxMessageBytes})";
    }

    /// <summary>The URI without its password, for logs and error messages.</summary>
    public static string Redact(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out Uri? u) && u.UserInfo.Contains(':')
            ? uri.Replace(u.UserInfo, u.UserInfo[..u.UserInfo.IndexOf(':')] + ":***", StringComparison.Ordinal)
            : uri;
}
