using System.Text.Json;
using System.Text.Json.Serialization;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;

namespace ResShift.Pipeline.Models;

/// <summary>engines/&lt;id&gt;/model.json: what a model is, how it was exported and under which licence.</summary>
public sealed class ModelManifest
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("task")] public required string Task { get; init; }
    [JsonPropertyName("scale")] public int Scale { get; init; }
    [JsonPropertyName("latent")] public required LatentSpec Latent { get; init; }
    [JsonPropertyName("schedule")] public required ScheduleSpec Schedule { get; init; }
    [JsonPropertyName("lq_pad_multiple")] public int LqPadMultiple { get; init; } = 64;
    [JsonPropertyName("tile")] public required TileSpec Tile { get; init; }
    [JsonPropertyName("files")] public Dictionary<string, ModelFile> Files { get; init; } = [];
    [JsonPropertyName("io")] public Dictionary<string, GraphIo> Io { get; init; } = [];
    [JsonPropertyName("sources")] public List<ModelSource> Sources { get; init; } = [];
    [JsonPropertyName("licence")] public required LicenceSpec Licence { get; init; }
    [JsonPropertyName("verification")] public string? Verification { get; init; }
    [JsonPropertyName("parameters")] public Dictionary<string, long>? Parameters { get; init; }
    [JsonPropertyName("generated_by")] public string? GeneratedBy { get; init; }

    /// <summary>Folder the manifest was read from; file paths are relative to it.</summary>
    [JsonIgnore] public string Directory { get; internal set; } = "";

    public bool HasGraphs => Files.ContainsKey("encoder") && Files.ContainsKey("denoiser") && Files.ContainsKey("decoder");

    public ScheduleParameters ScheduleParameters =>
        new(Schedule.T, Schedule.Kappa, Schedule.MinNoiseLevel, Schedule.EtasEnd, Schedule.Power);

    public ModelGeometry Geometry => new(Tile.Lq, Scale, Latent.Factor, Latent.Channels);

    public string PathOf(string role) =>
        Files.TryGetValue(role, out var f) ? System.IO.Path.Combine(Directory, f.Path)
            : throw new InvalidOperationException($"model '{Id}' has no {role} graph; export it first (make models MODEL={Id})");

    private static readonly JsonSerializerOptions Options = new() { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static ModelManifest Load(string path)
    {
        ModelManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid model manifest: {e.Message}", e);
        }
        if (m is null) throw new InvalidDataException($"{path}: empty model manifest");
        m.Directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        m.Validate(path);
        return m;
    }

    private void Validate(string path)
    {
        try
        {
            ScheduleParameters.Validate();
            Geometry.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        if (string.IsNullOrWhiteSpace(Licence.Id)) throw new InvalidDataException($"{path}: licence.id is required");
    }
}

public sealed record LatentSpec([property: JsonPropertyName("factor")] int Factor, [property: JsonPropertyName("channels")] int Channels);

public sealed record ScheduleSpec(
    [property: JsonPropertyName("T")] int T,
    [property: JsonPropertyName("kappa")] double Kappa,
    [property: JsonPropertyName("min_noise_level")] double MinNoiseLevel,
    [property: JsonPropertyName("etas_end")] double EtasEnd,
    [property: JsonPropertyName("power")] double Power);

public sealed record TileSpec([property: JsonPropertyName("lq")] int Lq);

public sealed record ModelFile([property: JsonPropertyName("path")] string Path, [property: JsonPropertyName("sha256")] string? Sha256);

public sealed record GraphIo([property: JsonPropertyName("inputs")] List<string> Inputs, [property: JsonPropertyName("outputs")] List<string> Outputs);

public sealed record ModelSource(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("sha256")] string? Sha256);

public sealed record LicenceSpec(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("commercial_use")] bool CommercialUse,
    [property: JsonPropertyName("url")] string? Url);
