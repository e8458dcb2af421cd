namespace ResShift.Pipeline.Video.Processes;

/// <summary>
/// Where ffmpeg, ffprobe and mkvmerge are: by name on PATH (Debian's packages), or in
/// <c>RESSHIFT_FFMPEG_DIR</c> when set.
/// </summary>
public sealed record FfmpegTools(string Ffmpeg, string Ffprobe, string Mkvmerge)
{
    public static FfmpegTools Default { get; } = FromEnvironment();

    public static FfmpegTools FromEnvironment()
    {
        string? dir = Environment.GetEnvironmentVariable("RESSHIFT_FFMPEG_DIR");
        return string.IsNullOrEmpty(dir)
            ? new FfmpegTools("ffmpeg", "ffprobe", "mkvmerge")
            : new FfmpegTools(Path.Combine(dir, "ffmpeg"), Path.Combine(dir, "ffprobe"), Path.Combine(dir, "mkvmerge"));
    }

    /// <summary>The first line of <c>ffmpeg -version</c> (for provenance).</summary>
    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        string text = await ChildProcess.RunAsync(Ffmpeg, ["-hide_banner", "-version"], cancellationToken).ConfigureAwait(false);
        return text.Split('\n', 2)[0].Trim();
    }
}
