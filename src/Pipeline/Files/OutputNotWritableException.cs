namespace ResShift.Pipeline.Files;

/// <summary>
/// An output could not be written because its folder is not writable (permission denied, a read-only file system):
/// the folder's fault, not the input's, so the job waits and is retried rather than failed (like a full disk).
/// </summary>
public sealed class OutputNotWritableException(string folder, IOException inner)
    : IOException($"{folder}: not writable: {inner.Message}", inner)
{
    public string Folder { get; } = folder;
}
