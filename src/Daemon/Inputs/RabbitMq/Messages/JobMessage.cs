using System.Text;
using System.Text.Json;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Tiling;

namespace ResShift.Daemon.Inputs.RabbitMq.Messages;

/// <summary>Options a message may set; null = the model's default (for Fidelity: the queue's threshold).</summary>
public sealed record JobOptions(ulong? Seed, double? NoiseScale, int? Overlap, BlendMode? Blend, FidelityThreshold? Fidelity = null, int? Iterations = null);

/// <summary>
/// One job from the queue: <c>{"id","input","output","model"?,"mask"?,"options"?:{"seed","noise_scale","overlap","blend","fidelity"?:{"min_psnr_db","min_ssim"}},
/// "video"?:{"codec","crf","preset","pix_fmt","noise_mode","segment_frames","split"}}</c>.
/// Parsing is strict: unknown or duplicate properties are refused, because a misspelt option ("noisescale")
/// silently ignored would restore a whole archive with the wrong settings. <c>mask</c> (inpainting models): the
/// mask image's path, under the same root rules as <c>input</c>.
/// </summary>
public sealed record JobMessage(string Id, string Input, string Output, string? Model, JobOptions Options)
{
    /// <summary>BIRD models: the task (deblur, sr8, denoise, inpaint, deblur-nonuniform); options.iterations may set the count.</summary>
    public string? Task { get; init; }

    /// <summary>BIRD inpaint (white = known) or a ResShift inpainting model (white = fill): the mask image, a path under the queue's roots like input.</summary>
    public string? Mask { get; init; }

    /// <summary>Video inputs: encoder settings, noise mode, segment size, split (null = defaults).</summary>
    public VideoMessageOptions? Video { get; init; }

    /// <summary>"replace": true lets the job replace an existing output whose sidecar shows this service wrote it; otherwise an existing output is refused.</summary>
    public bool Replace { get; init; }

    public const int MaxIdLength = 200;
    public const int MaxPathLength = 4096;

    private static readonly JsonDocumentOptions Strict = new() { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 };

    /// <summary>The id if the body is at least a JSON object with a string id (for events about messages that failed validation).</summary>
    public static string? TryReadId(ReadOnlyMemory<byte> body)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body, Strict);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out JsonElement id)
                && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 and <= MaxIdLength } s ? s : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <exception cref="JobRejectedException">kind "message", with a reason naming the offending field.</exception>
    public static JobMessage Parse(ReadOnlyMemory<byte> body, int maxBytes)
    {
        if (body.Length > maxBytes) throw Bad($"message is {body.Length} bytes; the limit is {maxBytes}");
        if (body.Length == 0) throw Bad("message body is empty");
        JsonDocument doc;
        try
        {
            if (!IsUtf8(body.Span)) throw Bad("message body is not UTF-8 text");
            doc = JsonDocument.Parse(body, Strict);
        }
        catch (JsonException e)
        {
            throw Bad($"message is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad($"message must be a JSON object, not {Describe(root.ValueKind)}");
            CheckProperties(root, "", "id", "input", "output", "model", "task", "mask", "options", "replace", "video");
            string id = RequiredString(root, "id", MaxIdLength);
            if (id.Any(char.IsControl)) throw Bad("'id' must not contain control characters");
            string input = RequiredString(root, "input", MaxPathLength);
            string output = RequiredString(root, "output", MaxPathLength);
            string? model = OptionalString(root, "model", 100);
            JobOptions options = ParseOptions(root);
            bool replace = false;
            if (root.TryGetProperty("replace", out JsonElement r))
                replace = r.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False or JsonValueKind.Null => false,
                    _ => throw Bad("'replace' must be true or false"),
                };
            string? task = OptionalString(root, "task", 40);
            if (task is not null && !ResShift.Pipeline.Bird.BirdTaskNames.All.Contains(task, StringComparer.Ordinal))
                throw Bad($"'task' must be one of {string.Join(", ", ResShift.Pipeline.Bird.BirdTaskNames.All)} (got \"{Clip(task)}\")");
            return new JobMessage(id, input, output, model, options) { Replace = replace, Task = task, Mask = OptionalString(root, "mask", MaxPathLength), Video = ParseVideo(root) };
        }
    }

    private static JobOptions ParseOptions(JsonElement root)
    {
        if (!root.TryGetProperty("options", out JsonElement o) || o.ValueKind == JsonValueKind.Null) return new JobOptions(null, null, null, null);
        if (o.ValueKind != JsonValueKind.Object) throw Bad($"'options' must be an object, not {Describe(o.ValueKind)}");
        CheckProperties(o, "options.", "seed", "noise_scale", "overlap", "blend", "fidelity", "iterations");
        ulong? seed = null;
        if (Present(o, "seed", out JsonElement s))
            seed = s.ValueKind == JsonValueKind.Number && s.TryGetUInt64(out ulong v) ? v : throw Bad("'options.seed' must be a non-negative integer below 2^64");
        double? noise = null;
        if (Present(o, "noise_scale", out JsonElement n))
        {
            if (n.ValueKind != JsonValueKind.Number) throw Bad($"'options.noise_scale' must be a number, not {Describe(n.ValueKind)}");
            double d = n.GetDouble();
            noise = d is >= 0 and <= 1 ? d : throw Bad($"'options.noise_scale' must be in [0, 1] (got {d})");
        }
        int? overlap = null;
        if (Present(o, "overlap", out JsonElement ov))
            overlap = ov.ValueKind == JsonValueKind.Number && ov.TryGetInt32(out int i) && i >= 0 ? i : throw Bad("'options.overlap' must be a non-negative integer");
        BlendMode? blend = null;
        if (Present(o, "blend", out JsonElement b))
            blend = b.ValueKind == JsonValueKind.String ? b.GetString() switch
            {
                "feather" => BlendMode.Feather,
                "average" => BlendMode.Average,
                var other => throw Bad($"'options.blend' must be \"feather\" or \"average\" (got \"{other}\")"),
            } : throw Bad($"'options.blend' must be a string, not {Describe(b.ValueKind)}");
        int? iterations = null;
        if (Present(o, "iterations", out JsonElement it))
            iterations = it.ValueKind == JsonValueKind.Number && it.TryGetInt32(out int k) && k is >= 1 and <= 100_000 ? k
                : throw Bad("'options.iterations' must be an integer in 1..100000");
        return new JobOptions(seed, noise, overlap, blend, ParseFidelity(o), iterations);
    }

    private static VideoMessageOptions? ParseVideo(JsonElement root)
    {
        if (!Present(root, "video", out JsonElement v)) return null;
        if (v.ValueKind != JsonValueKind.Object) throw Bad($"'video' must be an object, not {Describe(v.ValueKind)}");
        CheckProperties(v, "video.", "codec", "crf", "preset", "pix_fmt", "noise_mode", "segment_frames", "split");
        string? Text(string name, int max) => !Present(v, name, out JsonElement e) ? null
            : e.ValueKind != JsonValueKind.String ? throw Bad($"'video.{name}' must be a string, not {Describe(e.ValueKind)}")
            : e.GetString() is { Length: > 0 } t && t.Length <= max ? t : throw Bad($"'video.{name}' must be 1 to {max} characters");
        int? Integer(string name, int min, int max) => !Present(v, name, out JsonElement e) ? null
            : e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i) && i >= min && i <= max ? i
            : throw Bad($"'video.{name}' must be an integer in {min}..{max}");

        Pipeline.Video.Codec.VideoCodec? codec = null;
        if (Text("codec", 20) is { } c)
        {
            try { codec = Pipeline.Video.Codec.EncoderSettings.ParseCodec(c); }
            catch (ArgumentException e) { throw Bad("'video.codec': " + e.Message); }
        }
        string? preset = Text("preset", 20);
        if (preset is not null && !Pipeline.Video.Codec.EncoderSettings.X26xPresets.Contains(preset, StringComparer.Ordinal))
            throw Bad($"'video.preset' must be one of {string.Join(", ", Pipeline.Video.Codec.EncoderSettings.X26xPresets)} (got \"{Clip(preset)}\")");
        string? pixfmt = Text("pix_fmt", 32);
        if (pixfmt is not null && !pixfmt.All(ch => ch is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            throw Bad($"'video.pix_fmt' must be an ffmpeg pixel format name such as yuv420p10le (got \"{Clip(pixfmt)}\")");
        Pipeline.Video.NoiseMode? noise = null;
        if (Text("noise_mode", 20) is { } n)
            noise = VideoMessageOptions.ParseNoise(n) ?? throw Bad($"'video.noise_mode' must be \"shared\", \"per-frame\" or \"zero\" (got \"{Clip(n)}\")");
        bool? split = null;
        if (Present(v, "split", out JsonElement sp))
            split = sp.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Bad("'video.split' must be true or false"),
            };
        return new VideoMessageOptions
        {
            Codec = codec, Crf = Integer("crf", 0, 63), Preset = preset, PixelFormat = pixfmt, Noise = noise,
            SegmentFrames = Integer("segment_frames", 1, 100_000), Split = split,
        };
    }

    private static FidelityThreshold? ParseFidelity(JsonElement options)
    {
        if (!Present(options, "fidelity", out JsonElement f)) return null;
        if (f.ValueKind != JsonValueKind.Object) throw Bad($"'options.fidelity' must be an object, not {Describe(f.ValueKind)}");
        CheckProperties(f, "options.fidelity.", "min_psnr_db", "min_ssim");
        double? Number(string name) => !Present(f, name, out JsonElement v) ? null
            : v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Bad($"'options.fidelity.{name}' must be a number, not {Describe(v.ValueKind)}");
        var t = new FidelityThreshold { MinPsnrDb = Number("min_psnr_db"), MinSsim = Number("min_ssim") };
        string? problem = t.Problems("message", "'options.fidelity.min_psnr_db'", "'options.fidelity.min_ssim'").FirstOrDefault();
        return problem is null ? t : throw Bad(problem);
    }

    private static void CheckProperties(JsonElement obj, string prefix, params string[] allowed)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty p in obj.EnumerateObject())
        {
            if (!seen.Add(p.Name)) throw Bad($"property '{prefix}{p.Name}' appears twice");
            if (!allowed.Contains(p.Name, StringComparer.Ordinal))
                throw Bad($"unknown property '{prefix}{Clip(p.Name)}' (allowed: {string.Join(", ", allowed)})");
        }
    }

    private static bool Present(JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static string RequiredString(JsonElement obj, string name, int maxLength)
    {
        if (!obj.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) throw Bad($"'{name}' is missing");
        if (v.ValueKind != JsonValueKind.String) throw Bad($"'{name}' must be a string, not {Describe(v.ValueKind)}");
        string s = v.GetString()!;
        if (s.Length == 0) throw Bad($"'{name}' must not be empty");
        if (s.Length > maxLength) throw Bad($"'{name}' is {s.Length} characters; the limit is {maxLength}");
        return s;
    }

    private static string? OptionalString(JsonElement obj, string name, int maxLength) =>
        Present(obj, name, out _) ? RequiredString(obj, name, maxLength) : null;

    private static bool IsUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    private static string Describe(JsonValueKind k) => k switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private static JobRejectedException Bad(string reason) => new("message", reason);
}
