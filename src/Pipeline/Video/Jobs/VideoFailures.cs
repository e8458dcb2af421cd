using ResShift.Pipeline.Video.Processes;
using ResShift.Pipeline.Video.Segments;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>
/// How every step of a video job reports a failure: as a <see cref="VideoException"/> naming the file (a missing or
/// failing tool, a refused argument), or the exception itself when it already says what happened. Written once for
/// the one-process run and the distributed steps.
/// </summary>
internal static class VideoFailures
{
    /// <summary>The exception to throw instead of <paramref name="e"/>; null to let <paramref name="e"/> through.</summary>
    public static VideoException? Map(string name, Exception e) => e switch
    {
        VideoException => null,
        ToolNotFoundException or ToolFailedException => new VideoException(name, e.Message, e),
        ArgumentException => new VideoException(name, "refused: " + e.Message, e),
        _ => null,
    };

    public static async Task<T> GuardAsync<T>(string name, Func<Task<T>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (Exception e) when (Map(name, e) is { } mapped)
        {
            throw mapped;
        }
    }
}

/// <summary>
/// Puts <paramref name="muxed"/> (a finished output in the spool) in place with <paramref name="sidecar"/>: the
/// sidecar first, then the output, replacing an existing one only when <paramref name="replace"/>.
/// </summary>
public delegate Task DeliverOutput(string muxed, byte[] sidecar, bool replace, CancellationToken cancellationToken);
