namespace ResShift.Pipeline.Files;

/// <summary>Why a path was refused: permanent for that path as it stands (unlike disk full or a permission race).</summary>
public enum UnsafePathReason
{
    /// <summary>Empty, absolute, or with '.', '..', NUL or an empty component.</summary>
    Invalid,
    /// <summary>A component (a folder on the way, or the file itself) is a symbolic link.</summary>
    Symlink,
    /// <summary>A folder on the way is a file.</summary>
    NotDirectory,
    /// <summary>A FIFO, socket, device or directory where a regular file was expected.</summary>
    NotRegularFile,
    /// <summary>Larger than the limit, known from the handle before any byte is read.</summary>
    TooLarge,
    /// <summary>A component is longer than the file system allows (255 bytes).</summary>
    NameTooLong,
}

/// <summary>A path was refused by <see cref="RootDirectory"/>; the message names the path and the reason.</summary>
public sealed class UnsafePathException(string path, UnsafePathReason reason, string message)
    : IOException($"{path}: {message}")
{
    public string RelativePath { get; } = path;
    public UnsafePathReason Reason { get; } = reason;
}
