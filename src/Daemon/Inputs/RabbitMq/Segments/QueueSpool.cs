using System.Security.Cryptography;
using System.Text;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Video.Segments;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Inputs.RabbitMq.Segments;

/// <summary>
/// Where a queue video keeps its segments, plan and working files: a flat folder in its output root's daemon-owned
/// spool (<c>ROOT/.resshift-video/</c>, held open by <see cref="PathGuard"/>), named after the output's path relative
/// to that root. The name depends on nothing but that path, so every daemon sharing the storage (whatever it mounts
/// the root as) finds the same spool for the same output, and no folder on the output's way is part of it.
/// </summary>
public static class QueueSpool
{

    /// <summary>
    /// Opens a job's spool (<paramref name="spool"/>, as <see cref="PathGuard.Spool"/> names it: the root spool's
    /// descriptor and the job's folder name) through that descriptor with no link followed; a folder there without
    /// this service's mark is refused (<see cref="SpoolFolder"/>). Null when it is missing and not to be created.
    /// </summary>
    /// <exception cref="JobRejectedException">Kind "path": the spool is a link, not a folder, or not made by this service.</exception>
    public static async Task<SpoolFolder?> OpenAsync(string spool, bool create, CancellationToken ct)
    {
        try
        {
            return await SpoolFolder.OpenAsync(Path.GetDirectoryName(spool)!, Path.GetFileName(spool), create, ct).ConfigureAwait(false);
        }
        catch (UnsafePathException e)
        {
            throw new JobRejectedException("path", $"the job's video spool {e.Message}");
        }
    }

    /// <summary>An existing job spool only (nothing created or written); null when it is missing.</summary>
    /// <exception cref="JobRejectedException">As <see cref="OpenAsync"/>.</exception>
    public static SpoolFolder? OpenExisting(string spool)
    {
        try
        {
            return SpoolFolder.OpenExisting(Path.GetDirectoryName(spool)!, Path.GetFileName(spool));
        }
        catch (UnsafePathException e)
        {
            throw new JobRejectedException("path", $"the job's video spool {e.Message}");
        }
    }

    /// <summary><c>HASH-NAME.resshift-segments</c>: see <see cref="QueueSpoolName.For"/>.</summary>
    public static string NameFor(string relativeOutput) => QueueSpoolName.For(relativeOutput);
}
