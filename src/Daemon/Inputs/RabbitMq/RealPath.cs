using System.Runtime.InteropServices;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// The canonical path with every symlink in it resolved (libc realpath), also for paths whose tail does not
/// exist yet: the deepest existing ancestor is resolved and the missing components appended.
/// </summary>
internal static partial class RealPath
{
    public static string Resolve(string fullPath)
    {
        string existing = fullPath;
        var missing = new Stack<string>();
        while (true)
        {
            if (Native(existing) is { } real)
                return missing.Aggregate(real, Path.Combine);
            string? parent = Path.GetDirectoryName(existing);
            if (parent is null) return fullPath;
            missing.Push(Path.GetFileName(existing));
            existing = parent;
        }
    }

    private static string? Native(string path)
    {
        nint p = RealPathNative(path, 0);
        if (p == 0) return null;
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            Free(p);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint p);
}
