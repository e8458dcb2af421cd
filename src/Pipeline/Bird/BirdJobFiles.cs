using ResShift.Pipeline.Files;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// A daemon BIRD job's files inside root directories (<see cref="RootDirectory"/>: no link followed, paths resolved
/// at the moment of use). Input and mask are read only as regular files within <see cref="MaxInputBytes"/>; the
/// checkpoint lives beside the requested output; the outputs (image, kernel PNG, sidecar) are written to temporary
/// files and renamed into place with the image last, so an image is never visible without its sidecar, and none
/// replaces an existing file unless <see cref="ReplaceOutput"/>.
/// </summary>
public sealed class BirdJobFiles(RootDirectory inputRoot, string input, RootDirectory outputRoot, string output)
{
    public RootDirectory InputRoot { get; } = inputRoot;
    public string Input { get; } = input;
    public RootDirectory OutputRoot { get; } = outputRoot;

    /// <summary>The output's name below <see cref="OutputRoot"/> (after writing: the name actually written).</summary>
    public string Output { get; private set; } = output;

    public string OutputFullPath => Path.Combine(OutputRoot.Path, Output);

    public long MaxInputBytes { get; init; } = 1L << 30;

    /// <summary>The inpainting mask, if the task takes one.</summary>
    public (RootDirectory Root, string Relative)? Mask { get; init; }

    /// <summary>Replace existing outputs (the caller has proved they are ours); otherwise a taken name is refused.</summary>
    public bool ReplaceOutput { get; init; }

    /// <summary>When the output name is taken: the next name to try (null: refuse).</summary>
    public Func<string, int, string?>? Alternative { get; init; }

    private readonly string _checkpoint = output + ".bird-checkpoint";

    public ValueTask<byte[]> ReadInputAsync(CancellationToken cancellationToken) =>
        new RootedJobFiles(InputRoot, Input, OutputRoot, Output) { MaxInputBytes = MaxInputBytes }.ReadInputAsync(cancellationToken);

    /// <summary>The mask opened through its root handle (a regular file within <see cref="MaxInputBytes"/>), to be decoded from the handle.</summary>
    public Microsoft.Win32.SafeHandles.SafeFileHandle OpenMask() => Mask is var (root, rel) ? root.OpenRead(rel, MaxInputBytes, out _) : throw new InvalidOperationException("no mask");

    /// <summary>The checkpoint beside the requested output, or null when there is none or it is not a readable regular file.</summary>
    public BirdCheckpoint? LoadCheckpoint()
    {
        if (OutputRoot.Stat(_checkpoint) is null) return null;
        try
        {
            using Stream s = OutputRoot.OpenReadStream(_checkpoint, 1L << 31);
            return BirdCheckpoint.ReadFrom(s, _checkpoint);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException)
        {
            return null;
        }
    }

    /// <summary>Replaces the previous checkpoint (a link there is replaced, never followed).</summary>
    public Task SaveCheckpointAsync(BirdCheckpoint checkpoint, CancellationToken cancellationToken) =>
        OutputRoot.WriteAtomicAsync(_checkpoint, checkpoint.WriteToAsync, replace: true, cancellationToken);

    public void DeleteCheckpoint() => OutputRoot.Delete(_checkpoint);

    /// <summary>The kernel PNG's name for an output name.</summary>
    public static string KernelNameFor(string output) => Path.ChangeExtension(output, null) + ".kernel.png";

    /// <summary>
    /// Writes image, kernel (if any) and sidecar (built for the output name finally used) and makes them visible
    /// kernel and sidecar first, image last; on a taken name everything placed is withdrawn and the next
    /// <see cref="Alternative"/> is tried. Returns the image's full path.
    /// </summary>
    public async Task<string> WriteOutputsAsync(byte[] image, byte[]? kernel, Func<string, byte[]> sidecar, CancellationToken cancellationToken)
    {
        string requested = Output;
        for (int attempt = 1; ; attempt++)
        {
            string name = Output;
            using RootDirectory.PendingWrite img = await OutputRoot.PrepareAsync(name, Bytes(image), cancellationToken).ConfigureAwait(false);
            using RootDirectory.PendingWrite? ker = kernel is null ? null
                : await OutputRoot.PrepareAsync(KernelNameFor(name), Bytes(kernel), cancellationToken).ConfigureAwait(false);
            using RootDirectory.PendingWrite side = await OutputRoot.PrepareAsync(name + ProvenanceSuffix, Bytes(sidecar(name)), cancellationToken).ConfigureAwait(false);
            try
            {
                // Companions without their image are orphans of an interrupted write: they may be replaced.
                bool orphans = ReplaceOutput || OutputRoot.Stat(name) is null;
                ker?.Commit(orphans);
                side.Commit(orphans);
                img.Commit(ReplaceOutput);
                return OutputFullPath;
            }
            catch (FileExistsException)
            {
                // Nothing of ours may stay beside a file that is not ours.
                ker?.Retract();
                side.Retract();
                if (Alternative?.Invoke(requested, attempt + 1) is not { } next) throw;
                Output = next;
            }
        }
    }

    /// <summary>The sidecar's suffix (as for image jobs).</summary>
    public const string ProvenanceSuffix = ".resshift.json";

    private static Func<Stream, CancellationToken, Task> Bytes(byte[] b) => (s, ct) => s.WriteAsync(b, ct).AsTask();
}
