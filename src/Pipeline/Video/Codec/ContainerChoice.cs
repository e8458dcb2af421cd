using ResShift.Pipeline.Video.Probing;

namespace ResShift.Pipeline.Video.Codec;

/// <summary>mkv: every output is Matroska (holds any stream). same: the input's container where it can hold the result.</summary>
public enum ContainerMode { Mkv, Same }

/// <summary>An output container ffmpeg writes: its muxer name and the file extension it gets.</summary>
public sealed record OutputContainer(string Name, string Muxer, string Extension)
{
    public static readonly OutputContainer Mkv = new("mkv", "matroska", ".mkv");
    public static readonly OutputContainer Mp4 = new("mp4", "mp4", ".mp4");
    public static readonly OutputContainer Mov = new("mov", "mov", ".mov");
    public static readonly OutputContainer Webm = new("webm", "webm", ".webm");
}

/// <summary>
/// Where a restored video goes: Matroska by default; with <see cref="ContainerMode.Same"/> the input's own container
/// (mp4, mov, webm) when it can hold the restored video's codec and every stream copied from the input, checked
/// stream by stream against what that container carries (webm: VP8/VP9/AV1, Opus/Vorbis, WebVTT; mp4/mov: no SRT,
/// ASS or attachments, no FFV1). Otherwise Matroska, with the reasons, so nothing is dropped to keep a container.
/// </summary>
public sealed record ContainerChoice(OutputContainer Container, ContainerMode Mode, string? InputContainer, IReadOnlyList<string> FallbackReasons)
{
    public static readonly IReadOnlyList<string> Modes = ["mkv", "same"];

    public static ContainerMode ParseMode(string text) => text.ToLowerInvariant() switch
    {
        "mkv" or "matroska" => ContainerMode.Mkv,
        "same" => ContainerMode.Same,
        _ => throw new ArgumentException($"unknown container mode '{text}' (mkv, same)"),
    };

    /// <summary>The input's container as an output container, from ffprobe's format and the file name; null when it is none we write.</summary>
    public static OutputContainer? InputContainerOf(string formatName, string fileName)
    {
        string ext = Path.GetExtension(fileName).ToLowerInvariant();
        if (formatName.Contains("matroska", StringComparison.Ordinal)) return ext == ".webm" ? OutputContainer.Webm : OutputContainer.Mkv;
        if (formatName.StartsWith("mov,mp4", StringComparison.Ordinal)) return ext == ".mov" ? OutputContainer.Mov : OutputContainer.Mp4;
        return null;
    }

    /// <summary>
    /// The container for <paramref name="restored"/> (the Matroska the job produced: the restored video and every
    /// stream copied from the input) given the input's format and name.
    /// </summary>
    public static ContainerChoice Choose(ContainerMode mode, string inputFormat, string inputName, MediaProbe restored)
    {
        if (mode == ContainerMode.Mkv) return new(OutputContainer.Mkv, mode, null, []);
        OutputContainer? same = InputContainerOf(inputFormat, inputName);
        if (same is null)
            return new(OutputContainer.Mkv, mode, inputFormat, [$"the input's container ({inputFormat}) is not one written here (mkv, mp4, mov, webm)"]);
        if (same == OutputContainer.Mkv) return new(same, mode, same.Name, []);
        var reasons = new List<string>();
        foreach (StreamProbe s in restored.Streams)
            if (Refusal(same, s) is { } why) reasons.Add($"stream {s.Index} ({s.Kind.ToString().ToLowerInvariant()} {s.Codec ?? "unknown"}{(s.FileName is { } f ? " " + f : "")}): {why}");
        return reasons.Count == 0 ? new(same, mode, same.Name, []) : new(OutputContainer.Mkv, mode, same.Name, reasons);
    }

    /// <summary>The same choice, falling back to Matroska because writing the chosen container failed.</summary>
    public ContainerChoice FailedWith(string reason) => this with { Container = OutputContainer.Mkv, FallbackReasons = [.. FallbackReasons, reason] };

    private static readonly Dictionary<string, (string[] Video, string[] Audio, string[] Subtitle)> Carries = new()
    {
        ["mp4"] = (["h264", "hevc", "av1", "mpeg4"], ["aac", "mp3", "ac3", "eac3", "opus", "flac", "alac"], ["mov_text"]),
        ["mov"] = (["h264", "hevc", "prores", "mpeg4", "mjpeg"], ["aac", "mp3", "ac3", "eac3", "alac", "pcm_s16le", "pcm_s24le", "pcm_s16be", "pcm_s24be", "pcm_f32le"], ["mov_text"]),
        ["webm"] = (["vp8", "vp9", "av1"], ["opus", "vorbis"], ["webvtt"]),
    };

    private static string? Refusal(OutputContainer c, StreamProbe s)
    {
        (string[] video, string[] audio, string[] subtitle) = Carries[c.Name];
        string codec = s.Codec ?? "";
        return s.Kind switch
        {
            StreamKind.Video when !video.Contains(codec) => $"{c.Name} does not carry {codec} video (it carries {string.Join(", ", video)})",
            StreamKind.Audio when !audio.Contains(codec) => $"{c.Name} does not carry {codec} audio (it carries {string.Join(", ", audio)})",
            StreamKind.Subtitle when !subtitle.Contains(codec) => $"{c.Name} does not carry {codec} subtitles (it carries {string.Join(", ", subtitle)})",
            StreamKind.Attachment => $"{c.Name} has no attachments",
            StreamKind.Data or StreamKind.Unknown => $"{c.Name} output of data streams is not supported here",
            _ => null,
        };
    }
}
