using ResShift.Pipeline.Files;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Inputs;

/// <summary>What went wrong, in the words error files, dead letters and events use, and whether another try may succeed.</summary>
/// <param name="Kind">message, path, model, input (permanent); engine, output, io, error (transient).</param>
/// <param name="Detail">A finer reason where there is one (the decode failure: "truncated", "too-large", ...).</param>
public sealed record ErrorClass(string Kind, string? Detail, bool Transient)
{
    /// <summary>"input: truncated", or just the kind.</summary>
    public string Label => Detail is null ? Kind : $"{Kind}: {Detail}";
}

/// <summary>
/// The one exception → error-kind rule for every intake. Permanent: the job as asked can never succeed (refused
/// message or path, undecodable input). Transient: the engine, the disk or something unexpected failed, so another
/// try (later, or on another daemon) may succeed; each intake bounds the retries its own way.
/// </summary>
public static class ErrorClassifier
{
    public static ErrorClass Classify(Exception e) => e switch
    {
        JobRejectedException r => new(r.Kind, null, false),
        ImageDecodeException d => new("input", d.Failure.ToString().ToLowerInvariant(), false),
        EngineFailureException => new("engine", null, true),
        // NaN/Inf or a constant image: deterministic for this input, model and engine, so retrying would repeat it.
        Pipeline.Fidelity.OutputRejectedException o => new("engine", o.Defect == Pipeline.Fidelity.OutputDefect.NonFinite ? "non-finite-output" : "constant-output", false),
        UnsafePathException { Reason: not UnsafePathReason.NotDirectory } or FileExistsException => new("path", null, false),
        ImageEncodeException => new("output", null, true),
        // A video's engine, disk or missing ffmpeg may be cured by another try; the input itself (damaged, no video
        // stream, refused options) never.
        Pipeline.Video.VideoException { InnerException: EngineFailureException } => new("engine", null, true),
        Pipeline.Video.VideoException { InnerException: IOException or Pipeline.Video.Processes.ToolNotFoundException } => new("io", "video", true),
        Pipeline.Video.VideoException => new("input", "video", false),
        IOException or UnauthorizedAccessException => new("io", null, true),
        _ => new("error", null, true),
    };
}
