using System.Text.Json;
using System.Text.Json.Serialization;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Inputs.RabbitMq.Segments;

/// <summary>
/// One segment of a split video job, on <c>&lt;queue&gt;.segments</c>:
/// <c>{"job_id","plan_id","input","output","segment","segments"}</c>. It carries no settings: the worker reads the
/// plan from the spool of <c>output</c> (the shared storage) and restores with the planner's settings. It acts on it
/// only when the plan there has this <c>plan_id</c> (a salted digest its planner made) and this <c>job_id</c>: a
/// forged or stale message changes nothing (<see cref="SegmentJobRunner"/>). Parsing is strict like
/// <see cref="JobMessage"/>'s: anything unknown or missing is refused.
/// </summary>
public sealed record SegmentMessage(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("plan_id")] string PlanId,
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("segment")] int Segment,
    [property: JsonPropertyName("segments")] int Segments)
{
    /// <summary>The broker message id: the job's id and the segment.</summary>
    [JsonIgnore]
    public string MessageId => $"{JobId}#segment-{Segment}";

    private static readonly string[] Allowed = ["job_id", "plan_id", "input", "output", "segment", "segments"];

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this);

    /// <exception cref="JobRejectedException">kind "message", naming the offending field.</exception>
    public static SegmentMessage Parse(ReadOnlyMemory<byte> body, int maxBytes)
    {
        if (body.Length > maxBytes) throw Bad($"segment message is {body.Length} bytes; the limit is {maxBytes}");
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad("segment message must be a JSON object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (!seen.Add(p.Name)) throw Bad($"property '{p.Name}' appears twice");
                if (!Allowed.Contains(p.Name, StringComparer.Ordinal)) throw Bad($"unknown property '{p.Name}' in a segment message (allowed: {string.Join(", ", Allowed)})");
            }
            string Text(string name, int max) => root.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String
                && e.GetString() is { Length: > 0 } s && s.Length <= max ? s : throw Bad($"'{name}' must be a string of 1 to {max} characters");
            int Number(string name) => root.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i) && i >= 0
                ? i : throw Bad($"'{name}' must be a non-negative integer");
            var m = new SegmentMessage(Text("job_id", JobMessage.MaxIdLength), Text("plan_id", 64), Text("input", JobMessage.MaxPathLength),
                Text("output", JobMessage.MaxPathLength), Number("segment"), Number("segments"));
            return m.Segment < m.Segments ? m : throw Bad($"'segment' {m.Segment} is not below 'segments' {m.Segments}");
        }
        catch (JsonException e)
        {
            throw Bad($"segment message is not valid JSON: {e.Message}");
        }
    }

    private static JobRejectedException Bad(string reason) => new("message", reason);
}
