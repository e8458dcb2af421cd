using System.Globalization;
using System.Text.Json;

namespace ResShift.Pipeline.Jobs;

/// <summary>
/// What the rules about existing outputs need from a sidecar: who wrote it, the job's key, the input's and mask's
/// sha256, and for a delivered video the plan and the output's sha256. Parsed from a document already read safely
/// (<see cref="ProvenanceFile.TryRead(Files.RootDirectory, string)"/>).
/// </summary>
public sealed record ProvenanceRecord
{
    /// <summary>"image", "video" or "bird".</summary>
    public required string Kind { get; init; }
    /// <summary>The software that wrote it ("resshift" for this service).</summary>
    public string? Software { get; init; }
    public ProvenanceKey? Key { get; init; }
    public string? InputSha256 { get; init; }
    public string? MaskSha256 { get; init; }
    public string? PlanId { get; init; }
    public string? OutputSha256 { get; init; }

    public bool WrittenByUs => Software == "resshift";

    /// <exception cref="InvalidOperationException">A field has the wrong JSON type.</exception>
    public static ProvenanceRecord From(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidOperationException("a sidecar is a JSON object");
        string? kind = Str(root, "kind");
        if (kind == "bird" && root.TryGetProperty("model", out JsonElement m) && m.ValueKind == JsonValueKind.String)
            return FromBirdV1(root);
        // Schema 2 keeps a kind's own fields in a block named by the kind; schema 1 (images and videos) had them at the top.
        JsonElement own = Obj(root, kind ?? "image") ?? root;
        JsonElement? model = Obj(root, "model"), input = Obj(root, "input"), mask = Obj(root, "mask"), plan = Obj(own, "plan");
        return new ProvenanceRecord
        {
            Kind = kind ?? "image",
            Software = Obj(root, "software") is { } sw ? Str(sw, "name") : null,
            Key = model is { } mo && Str(mo, "id") is { } id && Seed(root) is { } seed ? new ProvenanceKey
            {
                Model = id,
                Seed = seed,
                NoiseScale = root.TryGetProperty("noise_scale", out JsonElement ns) && ns.ValueKind == JsonValueKind.Number ? ns.GetDouble() : null,
                Task = Str(own, "task"),
                Iterations = own.TryGetProperty("iterations", out JsonElement it) && it.ValueKind == JsonValueKind.Number ? it.GetInt32() : null,
            } : null,
            InputSha256 = input is { } i ? Str(i, "sha256") : null,
            MaskSha256 = mask is { } k ? Str(k, "sha256") : null,
            PlanId = plan is { } p ? Str(p, "id") : null,
            OutputSha256 = plan is { } q ? Str(q, "output_sha256") : null,
        };
    }

    /// <summary>A BIRD sidecar as versions before the common schema wrote it (flat: model, input_sha256, seed as text).</summary>
    private static ProvenanceRecord FromBirdV1(JsonElement root) => new()
    {
        Kind = "bird",
        Software = Obj(root, "software") is { } sw ? Str(sw, "name") : null,
        Key = Seed(root) is { } seed ? new ProvenanceKey
        {
            Model = Str(root, "model")!,
            Seed = seed,
            Task = Str(root, "task"),
            Iterations = root.TryGetProperty("iterations", out JsonElement it) && it.ValueKind == JsonValueKind.Number ? it.GetInt32() : null,
        } : null,
        InputSha256 = Str(root, "input_sha256"),
        MaskSha256 = Str(root, "mask_sha256"),
    };

    // A number, or (BIRD's first sidecars: a 64-bit seed kept exact for JavaScript readers) its decimal text.
    // Null when absent: a sidecar without a seed proves nothing.
    private static ulong? Seed(JsonElement root) => root.TryGetProperty("seed", out JsonElement s) ? s.ValueKind switch
    {
        JsonValueKind.Number => s.GetUInt64(),
        JsonValueKind.String => ulong.Parse(s.GetString()!, NumberStyles.None, CultureInfo.InvariantCulture),
        _ => null,
    } : null;

    private static string? Str(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static JsonElement? Obj(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Object ? v : null;
}
