namespace ResShift.Pipeline.Video;

/// <summary>Why a video could not be restored: names the file and, where a tool failed, its stderr.</summary>
public sealed class VideoException(string name, string message, Exception? inner = null)
    : Exception($"{name}: {message}", inner)
{
    /// <summary>The file (or job) the error is about.</summary>
    public string File { get; } = name;
}
