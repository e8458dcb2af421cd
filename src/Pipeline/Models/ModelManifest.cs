using System.Text.Json;
using System.Text.Json.Serialization;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Models;

/// <summary>engines/&lt;id&gt;/model.json: what a model is, how it was exported and under which licence.</summary>
public sealed class ModelManifest
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    /// <summary>"resshift" (encoder, denoiser, decoder; the default) or "bird" (one ε-prediction UNet, see <see cref="Bird"/>).</summary>
    [JsonPropertyName("kind")] public string Kind { get; init; } = ModelKinds.ResShift;
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("task")] public required string Task { get; init; }

    /// <summary>The job contract of the task (mask, exact size); absent = super-resolution (any size, no mask).</summary>
    [JsonPropertyName("input")] public InputSpec? Input { get; init; }
    [JsonPropertyName("scale")] public int Scale { get; init; }
    // latent, schedule and tile are required for the resshift kind (checked in Validate); a bird manifest has none.
    [JsonPropertyName("latent")] public LatentSpec Latent { get; init; } = null!;
    [JsonPropertyName("schedule")] public ScheduleSpec Schedule { get; init; } = null!;
    [JsonPropertyName("lq_pad_multiple")] public int LqPadMultiple { get; init; } = 64;
    [JsonPropertyName("tile")] public TileSpec Tile { get; init; } = null!;
    [JsonPropertyName("bird")] public BirdSpec? Bird { get; init; }
    [JsonPropertyName("files")] public Dictionary<string, ModelFile> Files { get; init; } = [];
    [JsonPropertyName("io")] public Dictionary<string, GraphIo> Io { get; init; } = [];
    [JsonPropertyName("sources")] public List<ModelSource> Sources { get; init; } = [];
    [JsonPropertyName("licence")] public required LicenceSpec Licence { get; init; }
    [JsonPropertyName("verification")] public string? Verification { get; init; }
    [JsonPropertyName("parameters")] public Dictionary<string, long>? Parameters { get; init; }
    [JsonPropertyName("generated_by")] public string? GeneratedBy { get; init; }

    /// <summary>Folder the manifest was read from; file paths are relative to it.</summary>
    [JsonIgnore] public string Directory { get; internal set; } = "";

    public bool IsBird => Kind == ModelKinds.Bird;

    /// <summary>The manifest lists its graphs and their files exist (not hashed: see <see cref="ModelFileCheck"/>).</summary>
    public bool GraphsPresent => HasGraphs && Files.Values.All(f => File.Exists(System.IO.Path.Combine(Directory, f.Path)));

    /// <summary>A model with random weights for tests and demos (MIT tiny-*), whose output means nothing.</summary>
    public bool IsDemo => Sources.Count == 0;

    /// <summary>How to get the ONNX files of a model that lacks them.</summary>
    public string HowToGet => IsDemo
        ? $"regenerate it with engines/{Id}/regenerate.sh"
        : $"run 'make models MODEL={Id}' (downloads {string.Join(" and ", Sources.Select(s => System.IO.Path.GetFileName(s.Url ?? s.Role)))}; " +
          $"offline: put them in a folder and add RESSHIFT_WEIGHTS=DIR)";

    public bool HasGraphs => IsBird ? Files.ContainsKey("unet") : Files.ContainsKey("encoder") && Files.ContainsKey("denoiser") && Files.ContainsKey("decoder");

    public ScheduleParameters ScheduleParameters => IsBird ? throw NotResShift() :
        new(Schedule.T, Schedule.Kappa, Schedule.MinNoiseLevel, Schedule.EtasEnd, Schedule.Power, Schedule.Timesteps);

    public ModelGeometry Geometry => IsBird ? throw NotResShift() :
        new(Tile.Lq, Scale, Latent.Factor, Latent.Channels, MaskChannels: Input?.Mask == true ? 1 : 0);

    /// <summary>What a job for this model must bring, for the pipeline to check.</summary>
    public InputContract InputContract => Input is null ? InputContract.Any : new(Input.Mask, Input.ExactSize, Input.Accepts);

    /// <summary>Denoiser calls per tile (T, or the length of schedule.timesteps: SinSR 1; a BIRD model's T / delta_t).</summary>
    public int Steps => IsBird ? Bird!.T / Bird.DeltaT : Schedule.Timesteps?.Length ?? Schedule.T;

    private InvalidOperationException NotResShift() =>
        new($"model '{Id}' is a BIRD model: it has no ResShift schedule or tile geometry (use it with restore --task)");

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
        if (string.IsNullOrWhiteSpace(Licence?.Id)) throw new InvalidDataException($"{path}: licence.id is required");
        if (Kind == ModelKinds.Bird)
        {
            if (Bird is null) throw new InvalidDataException($"{path}: a bird manifest needs a \"bird\" section");
            try { Bird.Validate(); }
            catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
            return;
        }
        if (Kind != ModelKinds.ResShift) throw new InvalidDataException($"{path}: unknown model kind '{Kind}' (resshift or bird)");
        if (Latent is null || Schedule is null || Tile is null)
            throw new InvalidDataException($"{path}: latent, schedule and tile are required for a resshift model");
        try
        {
            ScheduleParameters.Validate();
            Geometry.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        if (Input is { Mask: true } && Scale != 1)
            throw new InvalidDataException($"{path}: a mask input needs scale 1 (known pixels are pasted back at the input's size), got {Scale}");
        if (Input?.ExactSize is int size && (size <= 0 || size % LqPadMultiple != 0))
            throw new InvalidDataException($"{path}: input.exact_size {size} must be a positive multiple of lq_pad_multiple {LqPadMultiple}");
        if (Io.TryGetValue("denoiser", out GraphIo? den) && den.Inputs.Contains("mask") != (Input?.Mask == true))
            throw new InvalidDataException($"{path}: io.denoiser.inputs {(den.Inputs.Contains("mask") ? "has" : "lacks")} \"mask\" but input.mask is {Input?.Mask == true}");
    }
}

public static class ModelKinds
{
    public const string ResShift = "resshift";
    public const string Bird = "bird";
}

/// <summary>The "bird" section: image size the UNet accepts, the linear β schedule and the DDIM stride.</summary>
public sealed record BirdSpec(
    [property: JsonPropertyName("image")] int Image,
    [property: JsonPropertyName("channels")] int Channels,
    [property: JsonPropertyName("betas")] string Betas,
    [property: JsonPropertyName("beta_start")] double BetaStart,
    [property: JsonPropertyName("beta_end")] double BetaEnd,
    [property: JsonPropertyName("T")] int T,
    [property: JsonPropertyName("delta_t")] int DeltaT)
{
    public void Validate()
    {
        if (Image < 8 || Channels != 3) throw new ArgumentException($"bird.image must be >= 8 and bird.channels 3 (got {Image}, {Channels})");
        if (Betas != "linear") throw new ArgumentException($"bird.betas '{Betas}' is not supported (linear)");
        if (!(BetaStart > 0 && BetaEnd < 1 && BetaStart <= BetaEnd)) throw new ArgumentException("bird.beta_start/beta_end must satisfy 0 < start <= end < 1");
        if (T <= 0 || DeltaT <= 0 || T % DeltaT != 0) throw new ArgumentException($"bird.T ({T}) must be a positive multiple of bird.delta_t ({DeltaT})");
    }
}

public sealed record LatentSpec([property: JsonPropertyName("factor")] int Factor, [property: JsonPropertyName("channels")] int Channels);

public sealed record ScheduleSpec(
    [property: JsonPropertyName("T")] int T,
    [property: JsonPropertyName("kappa")] double Kappa,
    [property: JsonPropertyName("min_noise_level")] double MinNoiseLevel,
    [property: JsonPropertyName("etas_end")] double EtasEnd,
    [property: JsonPropertyName("power")] double Power,
    // The denoiser calls in order, a prefix of T-1..0 (SinSR: [14]); absent = the whole loop.
    [property: JsonPropertyName("timesteps")] int[]? Timesteps = null);

/// <summary>model.json "input": the job contract of the model's task.</summary>
public sealed record InputSpec(
    [property: JsonPropertyName("mask")] bool Mask,
    [property: JsonPropertyName("exact_size")] int? ExactSize,
    [property: JsonPropertyName("accepts")] string? Accepts);

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
