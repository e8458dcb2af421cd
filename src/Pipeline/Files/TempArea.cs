using System.Text;
using Microsoft.Win32.SafeHandles;
using static ResShift.Pipeline.Files.Native.FileNativeMethods;

namespace ResShift.Pipeline.Files;

/// <summary>
/// Where one process writes the temporary files of one root: <c>ROOT/.resshift-tmp/OWNER.N/</c>, beside
/// <c>OWNER.N.lock</c>, which the process holds locked (flock) for as long as it lives. The kernel drops the lock
/// when the process dies, SIGKILL included, so an area whose lock can be taken belongs to no living process and
/// everything in it is an interrupted write: <see cref="RemoveDead"/> deletes it. A live peer's area is never
/// touched (its lock cannot be taken) — no clocks, no leases. The area is made on the first write (a root that is
/// only read never gets one) and removed on a clean stop. Temporaries are renamed out of it into place, so they
/// are never scattered beside outputs where only a walk of the whole tree could find them.
/// </summary>
internal sealed class TempArea : IDisposable
{
    public const string FolderName = ".resshift-tmp";
    private const string LockSuffix = ".lock";
    private const uint DirMode = 0b111_101_101, FileMode = 0b110_100_100;
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);
    private static int s_serial;

    private readonly SafeFileHandle _root; // a duplicate of the root's handle: the area may outlive a sub-folder's use of it
    private readonly string _owner;
    private readonly object _gate = new();
    private Area? _area;
    private DateTime _nextSweep;
    private bool _disposed;

    public TempArea(int rootFd, string owner)
    {
        int fd = OpenDot(rootFd);
        if (fd < 0) throw Errno.ToException(Errno.Last, ".", "open folder");
        _root = new SafeFileHandle(fd, ownsHandle: true);
        _owner = owner;
    }

    /// <summary>
    /// The area's folder, held (release with <see cref="SafeHandle.DangerousRelease"/>), when it is on the file system
    /// <paramref name="device"/>; null when it cannot be made (an unwritable root) or lies elsewhere: then the caller
    /// writes beside the target. Dead peers' areas are swept here at most once a minute.
    /// </summary>
    public SafeFileHandle? Acquire(ulong device)
    {
        Area? area;
        lock (_gate)
        {
            if (_disposed) return null;
            DateTime now = DateTime.UtcNow;
            if (now >= _nextSweep)
            {
                _nextSweep = now + SweepEvery;
                try { _ = RemoveDead(); }
                catch (IOException) { } // best effort: the next sweep tries again
            }
            if (_area is null)
            {
                try { _area = Create(); }
                catch (IOException) { return null; }
            }
            area = _area;
        }
        if (area.Device != device) return null;
        bool added = false;
        try
        {
            area.Handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        return added ? area.Handle : null;
    }

    /// <summary>Removes the areas whose owner is gone (their lock can be taken); the number of files removed.</summary>
    public int RemoveDead()
    {
        int tmp = OpenFolder(create: false);
        if (tmp < 0) return 0;
        try
        {
            int removed = 0;
            foreach (string name in Names(tmp))
            {
                if (!name.EndsWith(LockSuffix, StringComparison.Ordinal) || name.Length == LockSuffix.Length) continue;
                int fd = OpenAtName(tmp, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
                if (fd < 0) continue;
                try
                {
                    // Taken only when nobody holds it; a lock file replaced since it was opened is not the one we hold.
                    if (Flock(fd, LOCK_EX | LOCK_NB) != 0 || !SameFile(tmp, name, fd)) continue;
                    removed += Empty(tmp, name[..^LockSuffix.Length]);
                    _ = UnlinkAtName(tmp, name, 0); // last: an area without its lock file is never left behind
                }
                finally
                {
                    _ = Close(fd);
                }
            }
            return removed;
        }
        finally
        {
            _ = Close(tmp);
        }
    }

    /// <summary>A clean stop: the area (empty once every write has finished) and its lock file go.</summary>
    public void Dispose()
    {
        Area? area;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            area = _area;
        }
        if (area is not null)
        {
            int tmp = OpenFolder(create: false);
            if (tmp >= 0)
            {
                // Not empty (a write still in flight): left, lock file included, for a later sweep.
                if (UnlinkAtName(tmp, area.Name, AT_REMOVEDIR) == 0) _ = UnlinkAtName(tmp, area.Name + LockSuffix, 0);
                _ = Close(tmp);
            }
            area.Handle.Dispose();
            area.Lock.Dispose();
        }
        _root.Dispose();
    }

    private Area Create()
    {
        int tmp = OpenFolder(create: true);
        if (tmp < 0) throw Errno.ToException(Errno.Last, FolderName, "create folder");
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                string name = $"{_owner}.{Interlocked.Increment(ref s_serial)}";
                int lockFd = OpenAtName(tmp, name + LockSuffix, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FileMode);
                if (lockFd < 0)
                {
                    int e = Errno.Last;
                    if (e == EEXIST && attempt < 8) continue;
                    throw Errno.ToException(e, $"{FolderName}/{name}{LockSuffix}", "create");
                }
                var lockHandle = new SafeFileHandle(lockFd, ownsHandle: true);
                // A sweeper that opened the new lock file before we locked it removes it: then try another name.
                if (Flock(lockFd, LOCK_EX | LOCK_NB) != 0 || !SameFile(tmp, name + LockSuffix, lockFd))
                {
                    lockHandle.Dispose();
                    if (attempt < 8) continue;
                    throw new IOException($"{FolderName}/{name}: could not lock a temporary area");
                }
                if (MkdirAtName(tmp, name, DirMode) != 0)
                {
                    int e = Errno.Last;
                    _ = UnlinkAtName(tmp, name + LockSuffix, 0);
                    lockHandle.Dispose();
                    throw Errno.ToException(e, $"{FolderName}/{name}", "create folder");
                }
                int dir = OpenAtName(tmp, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                if (dir < 0)
                {
                    int e = Errno.Last;
                    lockHandle.Dispose();
                    throw Errno.ToException(e, $"{FolderName}/{name}", "open folder");
                }
                return new Area(name, new SafeFileHandle(dir, ownsHandle: true), lockHandle, DeviceOf(dir));
            }
        }
        finally
        {
            _ = Close(tmp);
        }
    }

    /// <summary>The file system a folder (by handle) is on.</summary>
    public static unsafe ulong DeviceOf(int fd)
    {
        Statx st;
        byte empty = 0;
        if (StatxAt(fd, &empty, AT_EMPTY_PATH, STATX_TYPE, &st) != 0) return ulong.MaxValue;
        return ((ulong)st.DevMajor << 32) | st.DevMinor;
    }

    /// <summary>Every entry of an area and then the area itself; the number of files removed.</summary>
    private static int Empty(int tmp, string area)
    {
        int dir = OpenAtName(tmp, area, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (dir < 0) return 0;
        int removed = 0;
        try
        {
            foreach (string name in Names(dir))
                if (UnlinkAtName(dir, name, 0) == 0) removed++;
        }
        finally
        {
            _ = Close(dir);
        }
        _ = UnlinkAtName(tmp, area, AT_REMOVEDIR);
        return removed;
    }

    /// <summary>The names in a folder held by handle (listed through /proc/self/fd, so no path is resolved again).</summary>
    private static List<string> Names(int dirFd)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/self/fd/{dirFd}").Select(p => Path.GetFileName(p)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static unsafe bool SameFile(int dir, string name, int fd)
    {
        Statx byName, byFd;
        byte empty = 0;
        fixed (byte* n = Z(name))
            if (StatxAt(dir, n, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &byName) != 0) return false;
        if (StatxAt(fd, &empty, AT_EMPTY_PATH, STATX_TYPE, &byFd) != 0) return false;
        return byName.Inode == byFd.Inode && byName.DevMajor == byFd.DevMajor && byName.DevMinor == byFd.DevMinor;
    }

    /// <summary><c>.resshift-tmp</c> under the root, opened without following a link (-1 with errno set when it cannot be).</summary>
    private int OpenFolder(bool create)
    {
        bool added = false;
        try
        {
            _root.DangerousAddRef(ref added);
            int root = (int)_root.DangerousGetHandle();
            if (create && MkdirAtName(root, FolderName, DirMode) != 0 && Errno.Last != EEXIST) return -1;
            return OpenAtName(root, FolderName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added) _root.DangerousRelease();
        }
    }

    private static unsafe int OpenDot(int fd)
    {
        byte* p = stackalloc byte[] { (byte)'.', 0 };
        return OpenAt(fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    }

    private static unsafe int OpenAtName(int dir, string name, int flags, uint mode)
    {
        fixed (byte* n = Z(name)) return OpenAt(dir, n, flags, mode);
    }

    private static unsafe int UnlinkAtName(int dir, string name, int flags)
    {
        fixed (byte* n = Z(name)) return UnlinkAt(dir, n, flags);
    }

    private static unsafe int MkdirAtName(int dir, string name, uint mode)
    {
        fixed (byte* n = Z(name)) return MkdirAt(dir, n, mode);
    }

    private static byte[] Z(string s)
    {
        byte[] b = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, b);
        return b;
    }

    private sealed record Area(string Name, SafeFileHandle Handle, SafeFileHandle Lock, ulong Device);
}
