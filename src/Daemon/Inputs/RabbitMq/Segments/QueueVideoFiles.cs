using ResShift.Daemon.Inputs.Video;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Inputs.RabbitMq.Segments;

/// <summary>
/// A queue video's input and output by the queue's path rules at the moment of use: the input opened through its
/// root's handle (ffmpeg reads that descriptor, never the path again), the output resolved inside its root when it
/// is delivered and renamed into place through the root's handle, so a folder swapped for a link after the message
/// was accepted is never written through. The spool is in the root's own <c>.resshift-video/</c> (<see cref="PathGuard.Spool"/>),
/// so the output is renamed there from (the same file system as the root).
/// </summary>
public static class QueueVideoFiles
{
    /// <exception cref="UnsafePathException">The input is a link, a FIFO, a device or a folder, or a folder on the way is a link.</exception>
    public static OpenedVideo Open(RootedPath input) => OpenedVideo.Open(input.Root, input.Relative);

    /// <summary>Delivers to <paramref name="output"/> (as the message named it), resolved again when the output is ready.</summary>
    public static DeliverOutput Deliver(PathGuard paths, string input, string output) => async (muxed, sidecar, replace, ct) =>
    {
        RootedPath at = paths.Output(output, paths.Input(input));
        string sidecarRelative = ProvenanceFile.NameFor(at.Relative);
        // The sidecar first: an output never appears without it. It names the plan and the output's sha256, so a
        // crash between the two renames is not taken for a delivery.
        await at.Root.WriteAtomicAsync(sidecarRelative, (s, c) => s.WriteAsync(sidecar, c).AsTask(), replace, ct).ConfigureAwait(false);
        using RootDirectory spool = RootDirectory.Open(Path.GetDirectoryName(muxed)!);
        MoveResult moved = spool.Move(Path.GetFileName(muxed), at.Root, at.Relative, replace);
        if (moved == MoveResult.Moved) return;
        if (!replace) at.Root.Delete(sidecarRelative); // never leave our sidecar beside a file we did not write
        throw moved == MoveResult.TargetExists
            ? new FileExistsException(at.Relative)
            : new IOException($"{muxed}: the assembled output left the spool before delivery");
    };
}
