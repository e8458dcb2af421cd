namespace ResShift.Pipeline.Files;

public enum FileKind
{
    Regular,
    Directory,
    Symlink,
    /// <summary>FIFO, socket, character or block device.</summary>
    Special,
}

/// <summary>What a name is, without following it if it is a symbolic link (lstat).</summary>
public readonly record struct FileEntry(FileKind Kind, long Size, DateTime ModifiedUtc);
