using System.Runtime.InteropServices;
using static ResShift.Pipeline.Files.Native.FileNativeMethods;

namespace ResShift.Pipeline.Files;

/// <summary>errno after a failed call, turned into the exception an operator can act on.</summary>
internal static class Errno
{
    public static int Last => Marshal.GetLastPInvokeError();

    /// <summary>Refusals (links, wrong kinds, long names) become <see cref="UnsafePathException"/>; the rest stay <see cref="IOException"/>
    /// with errno in HResult so callers can tell a full disk (transient) from a missing file.</summary>
    public static IOException ToException(int errno, string path, string operation) => errno switch
    {
        ELOOP => new UnsafePathException(path, UnsafePathReason.Symlink, "a symlink is on the way (a folder or the name itself); symbolic links are not followed"),
        EXDEV => new UnsafePathException(path, UnsafePathReason.Symlink, "the path leads outside its root"),
        ENOTDIR => new UnsafePathException(path, UnsafePathReason.NotDirectory, "a component on the way is not a directory"),
        ENAMETOOLONG => new UnsafePathException(path, UnsafePathReason.NameTooLong, "the name is too long for the file system"),
        ENOENT => new FileNotFoundException($"{path}: {operation}: no such file or directory", path) { HResult = errno },
        EACCES or EPERM => new UnauthorizedIOException($"{path}: {operation}: permission denied", errno),
        _ => new IOException($"{path}: {operation}: {Describe(errno)}", errno),
    };

    /// <summary>The file system is full or over quota: worth retrying later, not the input's fault.</summary>
    public static bool IsNoSpace(Exception e) => e is IOException io && io.HResult is ENOSPC or EDQUOT
        || e.Message.Contains("No space left on device", StringComparison.Ordinal) || e.Message.Contains("Disk quota exceeded", StringComparison.Ordinal);

    private static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}

/// <summary>Permission denied, as an <see cref="IOException"/> (so one catch handles every file-system failure).</summary>
public sealed class UnauthorizedIOException(string message, int errno) : IOException(message, errno);
