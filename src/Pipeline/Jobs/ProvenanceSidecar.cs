using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using ResShift.Pipeline.Models;

namespace ResShift.Pipeline.Jobs;

/// <summary>
/// The one provenance sidecar schema (<c>OUTPUT.resshift.json</c>) every job kind writes, from the daemon and from
/// <c>resshift restore</c> alike: the common fields (what was run, on which bytes, by what, to which output) and one
/// block named by the kind (<c>"image"</c>, <c>"video"</c>, <c>"bird"</c>) with what only that kind has. The fields the
/// "already done" rule reads (<see cref="ProvenanceRecord"/>) are common: kind, software, input and mask sha256, model
/// id, seed, noise scale, and the kind block's task and iterations (BIRD) or plan (a distributed video).
/// </summary>
public sealed record ProvenanceSidecar
{
    /// <summary>The schema's version, written as <c>"schema"</c>: 2 is this common layout (1 had no common layout).</summary>
    public const int Schema = 2;

    /// <summary>What the "software" block says: this product and its version.</summary>
    public static string SoftwareVersion { get; } =
        typeof(ProvenanceSidecar).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ProvenanceSidecar).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";

    /// <summary>"image", "video" or "bird": also the name of <see cref="Block"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>What decides the result besides the bytes (model id, seed, noise scale; task and iterations for BIRD).</summary>
    public required ProvenanceKey Key { get; init; }

    public required string InputName { get; init; }
    public required string InputSha256 { get; init; }
    public int? InputWidth { get; init; }
    public int? InputHeight { get; init; }

    /// <summary>The mask's sha256 when the job had one (BIRD inpainting); the rule then asks for the same mask bytes.</summary>
    public string? MaskSha256 { get; init; }

    public required string OutputName { get; init; }
    public int? OutputWidth { get; init; }
    public int? OutputHeight { get; init; }

    /// <summary>The model's files (role → sha256) and licence, when the job has its manifest.</summary>
    public ModelManifest? Model { get; init; }

    public string? EngineName { get; init; }
    public string? EnginePrecision { get; init; }

    /// <summary>Seconds per stage (and "total"), when the kind measures them.</summary>
    public IReadOnlyDictionary<string, double>? TimingsSeconds { get; init; }

    /// <summary>The kind's own fields, written under the kind's name.</summary>
    public JsonObject Block { get; init; } = [];

    public JsonObject ToJson()
    {
        var model = new JsonObject { ["id"] = Key.Model };
        if (Model is not null)
        {
            var files = new JsonObject();
            foreach (var (role, f) in Model.Files.OrderBy(f => f.Key, StringComparer.Ordinal)) files[role] = f.Sha256;
            model["files"] = files;
            model["licence"] = Model.Licence.Id;
        }
        var o = new JsonObject
        {
            ["schema"] = Schema,
            ["kind"] = Kind,
            ["software"] = new JsonObject { ["name"] = "resshift", ["version"] = SoftwareVersion },
            ["created_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
            ["input"] = new JsonObject { ["name"] = InputName, ["sha256"] = InputSha256, ["width"] = InputWidth, ["height"] = InputHeight },
        };
        if (MaskSha256 is not null) o["mask"] = new JsonObject { ["sha256"] = MaskSha256 };
        o["output"] = new JsonObject { ["name"] = OutputName, ["width"] = OutputWidth, ["height"] = OutputHeight };
        o["model"] = model;
        o["engine"] = new JsonObject { ["name"] = EngineName, ["precision"] = EnginePrecision };
        o["seed"] = Key.Seed;
        // Images and videos: null = the model's own noise scale. BIRD has none (its key is task and iterations).
        if (Kind != "bird") o["noise_scale"] = Key.NoiseScale;
        if (TimingsSeconds is not null)
        {
            var t = new JsonObject();
            foreach (var (stage, seconds) in TimingsSeconds.OrderBy(s => s.Key, StringComparer.Ordinal)) t[stage] = Math.Round(seconds, 6);
            o["timings_seconds"] = t;
        }
        JsonObject block = Block.DeepClone().AsObject();
        if (Key.Task is not null) block["task"] = Key.Task;
        if (Key.Iterations is not null) block["iterations"] = Key.Iterations;
        o[Kind] = block;
        return o;
    }

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public byte[] ToUtf8() => Serialize(ToJson());

    /// <summary>How every sidecar is serialised (also one completed after the job, e.g. a video's delivery).</summary>
    public static byte[] Serialize(JsonNode sidecar) => JsonSerializer.SerializeToUtf8Bytes(sidecar, Indented);

    public Task WriteAsync(Stream stream, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeAsync(stream, ToJson(), Indented, cancellationToken);
}
