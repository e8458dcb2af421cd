using Microsoft.Win32.SafeHandles;
using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Files;

/// <summary>Where a file job reads its input and writes its output (and anything that must appear with it).</summary>
public interface IJobFiles
{
    /// <summary>The whole input (a regular file within the size limit; refused otherwise before it is read).</summary>
    ValueTask<byte[]> ReadInputAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The input opened for streaming (a regular file within the size limit that starts like an image), positioned
    /// nowhere in particular (read it by offset); null where the input can only be read whole. The caller disposes it.
    /// </summary>
    ValueTask<SafeFileHandle?> OpenInputAsync(CancellationToken cancellationToken) => ValueTask.FromResult<SafeFileHandle?>(null);

    /// <summary>
    /// Writes the output through <paramref name="write"/>; it becomes visible only complete, together with whatever
    /// belongs with it. Returns the full path written (a free variant of the name where the files chose one).
    /// </summary>
    Task<string> WriteOutputAsync(Func<Stream, CancellationToken, Task> write, JobReport report, CancellationToken cancellationToken);
}
