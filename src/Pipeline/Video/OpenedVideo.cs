using Microsoft.Win32.SafeHandles;
using ResShift.Pipeline.Files;

namespace ResShift.Pipeline.Video;

/// <summary>
/// A claimed video opened through its root's handle (a regular file, no link followed on the way) and named for
/// ffmpeg and ffprobe by <c>/proc/&lt;daemon pid&gt;/fd/&lt;n&gt;</c>: a magic link that reopens exactly the file this
/// handle holds, whatever the path names later (renamed, replaced, swapped for a link). Held for the whole job.
/// </summary>
public sealed class OpenedVideo : IDisposable
{
    private readonly SafeFileHandle _handle;

    private OpenedVideo(SafeFileHandle handle)
    {
        _handle = handle;
        Path = $"/proc/{Environment.ProcessId}/fd/{handle.DangerousGetHandle()}";
    }

    /// <summary>What child processes open: the daemon's descriptor of the file, through procfs.</summary>
    public string Path { get; }

    /// <exception cref="UnsafePathException">The name is a link, a FIFO, a device or a folder, or a folder on the way is a link.</exception>
    public static OpenedVideo Open(RootDirectory folder, string relative)
    {
        return new OpenedVideo(folder.OpenRead(relative, long.MaxValue, out _));
    }

    public void Dispose() => _handle.Dispose();
}
