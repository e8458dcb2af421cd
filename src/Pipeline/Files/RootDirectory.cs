using System.Text;
using Microsoft.Win32.SafeHandles;
using static ResShift.Pipeline.Files.Native.FileNativeMethods;

namespace ResShift.Pipeline.Files;

/// <summary>
/// A directory held open by handle, and every operation on a path inside it resolved at the moment of use,
/// component by component, with no symbolic link followed anywhere on the way (openat2 with
/// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS; on kernels without it, openat with O_NOFOLLOW|O_DIRECTORY from this
/// handle one component at a time). There is no check-then-use: a folder swapped for a link between a scan
/// and a move is refused by the move itself. Reads open only regular files (checked on the opened handle,
/// opened non-blocking so a FIFO cannot stall), renames never replace a file unless asked to.
/// </summary>
public sealed class RootDirectory : IDisposable
{
    public const string TempSuffix = ".resshift-tmp";
    private const uint DirMode = 0b111_101_101, FileMode = 0b110_100_100; // 0755, 0644 (before umask)
    private const ulong Beneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

    /// <summary>Cleared after openat2 says ENOSYS (or a seccomp filter answers EPERM): the walk does the same job.</summary>
    internal static bool UseOpenat2 { get; set; } = true;

    private readonly SafeFileHandle _handle;
    private TempArea? _temps;     // shared with the folders opened below this one
    private bool _ownsTemps;

    private RootDirectory(SafeFileHandle handle, string path, TempArea? temps = null)
    {
        _handle = handle;
        Path = path;
        _temps = temps;
    }

    /// <summary>Where this directory was when it was opened (for messages; operations use the handle).</summary>
    public string Path { get; }

    /// <summary>
    /// This directory as child processes (and path-based APIs) can name it: <c>/proc/&lt;pid&gt;/fd/&lt;n&gt;</c>, a magic
    /// link to exactly the folder this handle holds, whatever its path names later. Valid while this object lives.
    /// </summary>
    public string DescriptorPath => $"/proc/{Environment.ProcessId}/fd/{_handle.DangerousGetHandle()}";

    /// <summary>Opens an existing directory by absolute path. The path itself is trusted configuration: links in it are followed.</summary>
    public static unsafe RootDirectory Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        int fd;
        fixed (byte* p = Z(full)) fd = FileNativeMethodsOpen(p);
        if (fd < 0)
        {
            int e = Errno.Last;
            if (e == ENOENT) throw new DirectoryNotFoundException($"{full}: no such directory");
            if (e == ENOTDIR) throw new IOException($"{full}: not a directory", e);
            throw Errno.ToException(e, full, "open");
        }
        return new RootDirectory(new SafeFileHandle(fd, ownsHandle: true), full);

        static unsafe int FileNativeMethodsOpen(byte* p) => Native.FileNativeMethods.Open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    }

    /// <summary>A folder inside this one as a root of its own, created (without following links) when missing.</summary>
    public RootDirectory OpenDirectory(string relative, bool create = true)
    {
        RelativePath rel = RelativePath.Parse(relative);
        using Dir dir = Walk(rel.Components, rel.Components.Length, create, rel.Text);
        int fd = Dup(dir.Fd, rel.Text);
        return new RootDirectory(new SafeFileHandle(fd, ownsHandle: true), System.IO.Path.Combine(Path, rel.Text), _temps);
    }

    /// <summary>
    /// From now on, temporary files of writes here and in the folders opened below this one (afterwards) go to this
    /// process's area <c>.resshift-tmp/OWNER.N/</c> under this directory (<see cref="TempArea"/>), found and removed
    /// after a crash by <see cref="RemoveDeadTemporaries"/>; the areas of processes that are gone are removed now.
    /// Best effort: where the area cannot be made (an unwritable root, another file system) a temporary goes
    /// beside its target as before. Disposing this directory removes the area.
    /// </summary>
    public RootDirectory UseTemporaryArea(string owner)
    {
        if (_temps is not null) throw new InvalidOperationException($"{Path}: already has a temporary area");
        _temps = new TempArea((int)_handle.DangerousGetHandle(), owner);
        _ownsTemps = true;
        try
        {
            _ = _temps.RemoveDead();
        }
        catch (IOException)
        {
            // an unreadable area folder: the next sweep tries again
        }
        return this;
    }

    /// <summary>Removes the temporary files that processes which are gone left in this directory's <c>.resshift-tmp/</c>; how many.</summary>
    public int RemoveDeadTemporaries() => _temps?.RemoveDead() ?? 0;

    /// <summary>Creates the folder and any missing parents; a link anywhere on the way is refused.</summary>
    public void CreateDirectory(string relative)
    {
        RelativePath rel = RelativePath.Parse(relative);
        using Dir _ = Walk(rel.Components, rel.Components.Length, create: true, rel.Text);
    }

    /// <summary>
    /// Opens a regular file for reading. FIFOs, sockets, devices and directories are refused (checked on the
    /// opened handle; the open itself cannot block), and so is a file larger than <paramref name="maxBytes"/>,
    /// before any byte is read. The handle is positioned at 0 and blocking.
    /// </summary>
    public unsafe SafeFileHandle OpenRead(string relative, long maxBytes, out long length)
    {
        RelativePath rel = RelativePath.Parse(relative);
        using Dir parent = Parent(rel, create: false);
        int fd;
        fixed (byte* name = Z(rel.Name))
            do fd = OpenAt(parent.Fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
            while (fd < 0 && Errno.Last == EINTR);
        if (fd < 0) throw Errno.ToException(Errno.Last, rel.Text, "open");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            Statx st = StatFd(fd, rel.Text);
            FileKind kind = KindOf(st.Mode);
            if (kind != FileKind.Regular)
                throw new UnsafePathException(rel.Text, UnsafePathReason.NotRegularFile, kind == FileKind.Directory
                    ? "is a directory, not a file" : $"is not a regular file ({SpecialName(st.Mode)}); only regular files are read");
            if ((long)st.Size > maxBytes)
                throw new UnsafePathException(rel.Text, UnsafePathReason.TooLarge, $"is {st.Size} bytes; the limit is {maxBytes}");
            int flags = Fcntl(fd, F_GETFL, 0);
            if (flags >= 0) _ = Fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
            length = (long)st.Size;
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A stream over <see cref="OpenRead(string, long, out long)"/> that also stops a file that grows past the limit while read.</summary>
    public Stream OpenReadStream(string relative, long maxBytes)
    {
        SafeFileHandle handle = OpenRead(relative, maxBytes, out _);
        return new LimitedReadStream(new FileStream(handle, FileAccess.Read, 1 << 16), maxBytes, relative);
    }

    /// <summary>The whole file, for small files only (sidecars, messages): the limit is checked before reading.</summary>
    public byte[] ReadAllBytes(string relative, long maxBytes)
    {
        using Stream s = OpenReadStream(relative, maxBytes);
        using var buffer = new MemoryStream();
        s.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>The entry itself, not what a link points to; null when the name (or a folder on the way) does not exist.</summary>
    public unsafe FileEntry? Stat(string relative)
    {
        RelativePath rel = RelativePath.Parse(relative);
        Dir parent;
        try { parent = Parent(rel, create: false); }
        catch (FileNotFoundException) { return null; }
        using (parent)
        {
            Statx st;
            int r;
            fixed (byte* name = Z(rel.Name))
                r = StatxAt(parent.Fd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_MTIME, &st);
            if (r != 0)
            {
                int e = Errno.Last;
                if (e == ENOENT) return null;
                throw Errno.ToException(e, rel.Text, "stat");
            }
            return new FileEntry(KindOf(st.Mode), (long)st.Size,
                DateTime.UnixEpoch.AddSeconds(st.MtimeSec).AddTicks(st.MtimeNsec / 100));
        }
    }

    /// <summary>
    /// Writes <paramref name="relative"/> so that it is either absent or complete: a temporary file (in the
    /// temporary area, <see cref="UseTemporaryArea"/>, or hidden beside the target), fsynced, renamed into place (never over an existing file unless <paramref name="replace"/>),
    /// then the folder fsynced. Missing folders are created; links on the way are refused. A failure removes
    /// the temporary file.
    /// </summary>
    /// <exception cref="FileExistsException">The name exists and <paramref name="replace"/> is false.</exception>
    public async Task WriteAtomicAsync(string relative, Func<Stream, CancellationToken, Task> write, bool replace, CancellationToken cancellationToken)
    {
        using PendingWrite pending = await PrepareAsync(relative, write, cancellationToken).ConfigureAwait(false);
        pending.Commit(replace);
    }

    /// <summary>
    /// The first half of <see cref="WriteAtomicAsync"/>: the content written and fsynced under a hidden temporary
    /// name beside <paramref name="relative"/>, to be renamed into place by <see cref="PendingWrite.Commit"/>
    /// (several files can so be made visible in a chosen order). Disposing an uncommitted one removes it.
    /// </summary>
    public async Task<PendingWrite> PrepareAsync(string relative, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        PendingWrite pending = CreatePending(RelativePath.Parse(relative));
        try
        {
            await using (var stream = new FileStream(pending.Handle, FileAccess.Write, 1 << 16))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            cancellationToken.ThrowIfCancellationRequested();
            return pending;
        }
        catch
        {
            pending.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Renames <paramref name="relative"/> here to <paramref name="targetRelative"/> under <paramref name="target"/>
    /// (the same root or another on the same file system), creating the target's folders. Never replaces an
    /// existing target unless <paramref name="replace"/>. Both folders are fsynced.
    /// </summary>
    public MoveResult Move(string relative, RootDirectory target, string targetRelative, bool replace = false)
    {
        RelativePath from = RelativePath.Parse(relative);
        RelativePath to = RelativePath.Parse(targetRelative);
        Dir source;
        try { source = Parent(from, create: false); }
        catch (FileNotFoundException) { return MoveResult.SourceMissing; }
        using (source)
        {
            using Dir dest = target.Parent(to, create: true);
            try
            {
                Rename(source.Fd, from.Name, dest.Fd, to.Name, replace, to.Text);
            }
            catch (FileExistsException)
            {
                return MoveResult.TargetExists;
            }
            catch (FileNotFoundException)
            {
                return MoveResult.SourceMissing;
            }
            _ = Fsync(dest.Fd);
            if (source.Fd != dest.Fd) _ = Fsync(source.Fd);
            return MoveResult.Moved;
        }
    }

    /// <summary>Removes a file (or a link itself, never its target); false when it is already gone.</summary>
    public bool Delete(string relative) => Unlink(relative, 0);

    /// <summary>Removes an empty folder; false when it is gone or not empty.</summary>
    public bool DeleteEmptyDirectory(string relative)
    {
        try { return Unlink(relative, AT_REMOVEDIR); }
        catch (IOException e) when (e.HResult is ENOTEMPTY or EEXIST) { return false; }
    }

    public void Dispose()
    {
        if (_ownsTemps) _temps?.Dispose();
        _handle.Dispose();
    }

    public override string ToString() => Path;

    private unsafe bool Unlink(string relative, int flags)
    {
        RelativePath rel = RelativePath.Parse(relative);
        Dir parent;
        try { parent = Parent(rel, create: false); }
        catch (FileNotFoundException) { return false; }
        using (parent)
        {
            int r;
            fixed (byte* name = Z(rel.Name)) r = UnlinkAt(parent.Fd, name, flags);
            if (r == 0) return true;
            int e = Errno.Last;
            if (e == ENOENT) return false;
            throw Errno.ToException(e, rel.Text, "remove");
        }
    }

    private static unsafe void Rename(int fromDir, string fromName, int toDir, string toName, bool replace, string shown)
    {
        int r;
        fixed (byte* a = Z(fromName))
        fixed (byte* b = Z(toName))
        {
            r = RenameAt2(fromDir, a, toDir, b, replace ? 0 : RENAME_NOREPLACE);
            if (r != 0 && !replace && Errno.Last == EINVAL)
            {
                // A file system without RENAME_NOREPLACE: a hard link fails on an existing name just as atomically.
                r = LinkAt(fromDir, a, toDir, b, 0);
                if (r == 0) _ = UnlinkAt(fromDir, a, 0);
            }
        }
        if (r == 0) return;
        int e = Errno.Last;
        if (e == EEXIST) throw new FileExistsException(shown);
        throw Errno.ToException(e, shown, "rename");
    }

    /// <summary>The folder holding the path's last component.</summary>
    private Dir Parent(RelativePath rel, bool create) => rel.HasParent
        ? Walk(rel.Components, rel.Components.Length - 1, create, rel.Text)
        : new Dir(_handle.DangerousGetHandle().ToInt32(), owned: false);

    /// <summary>Opens the first <paramref name="count"/> components as a folder, refusing any link.</summary>
    private unsafe Dir Walk(string[] components, int count, bool create, string shown)
    {
        int root = (int)_handle.DangerousGetHandle();
        if (count == 0) return new Dir(root, owned: false);
        if (!create && UseOpenat2)
        {
            var how = new OpenHow { Flags = (ulong)(O_RDONLY | O_DIRECTORY | O_CLOEXEC), Resolve = Beneath };
            long fd;
            fixed (byte* p = Z(string.Join('/', components, 0, count)))
                fd = Syscall(SYS_openat2, root, p, &how, (nuint)sizeof(OpenHow));
            if (fd >= 0) return new Dir((int)fd, owned: true);
            int e = Errno.Last;
            if (e is not (ENOSYS or EPERM or E2BIG)) throw Errno.ToException(e, shown, "open folder");
            UseOpenat2 = false;
        }
        int current = root;
        bool owned = false;
        try
        {
            for (int i = 0; i < count; i++)
            {
                int next;
                fixed (byte* c = Z(components[i]))
                {
                    if (create && MkdirAt(current, c, DirMode) != 0 && Errno.Last != EEXIST)
                        throw Errno.ToException(Errno.Last, shown, "create folder");
                    next = OpenAt(current, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                    if (next < 0)
                    {
                        int e = Errno.Last;
                        // O_NOFOLLOW|O_DIRECTORY on a link answers ENOTDIR on some kernels: say which it was.
                        if (e == ENOTDIR && IsLink(current, c)) e = ELOOP;
                        throw Errno.ToException(e, shown, "open folder");
                    }
                }
                if (owned) _ = Close(current);
                current = next;
                owned = true;
            }
            return new Dir(current, owned: true);
        }
        catch
        {
            if (owned) _ = Close(current);
            throw;
        }
    }

    private static unsafe bool IsLink(int dir, byte* name)
    {
        Statx st;
        return StatxAt(dir, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &st) == 0 && KindOf(st.Mode) == FileKind.Symlink;
    }

    private static unsafe Statx StatFd(int fd, string shown)
    {
        Statx st;
        byte empty = 0;
        if (StatxAt(fd, &empty, AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_SIZE, &st) != 0)
            throw Errno.ToException(Errno.Last, shown, "stat");
        return st;
    }

    private static unsafe int Dup(int fd, string shown)
    {
        byte dot = (byte)'.';
        byte* p = stackalloc byte[] { dot, 0 };
        int r = OpenAt(fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (r < 0) throw Errno.ToException(Errno.Last, shown, "open folder");
        return r;
    }

    internal static FileKind KindOf(ushort mode) => (mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0xA000 => FileKind.Symlink,
        _ => FileKind.Special,
    };

    private static string SpecialName(ushort mode) => (mode & 0xF000) switch
    {
        0x1000 => "a FIFO",
        0xC000 => "a socket",
        0x2000 => "a character device",
        0x6000 => "a block device",
        _ => "a special file",
    };

    private static byte[] Z(string s)
    {
        byte[] b = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, b);
        return b;
    }

    /// <summary>
    /// The temporary file: in this process's area when there is one on the target's file system (so a crash leaves
    /// it where it is found), otherwise hidden beside the target.
    /// </summary>
    private unsafe PendingWrite CreatePending(RelativePath rel)
    {
        Dir parent = Parent(rel, create: true);
        SafeFileHandle? area = _temps?.Acquire(TempArea.DeviceOf(parent.Fd));
        int tempDir = area is null ? parent.Fd : (int)area.DangerousGetHandle();
        string temp = area is null ? $".{Guid.NewGuid():N}{TempSuffix}" : $"{Guid.NewGuid():N}{TempSuffix}";
        int fd;
        fixed (byte* t = Z(temp))
            fd = OpenAt(tempDir, t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FileMode);
        if (fd < 0)
        {
            int e = Errno.Last;
            area?.DangerousRelease();
            parent.Dispose();
            throw Errno.ToException(e, rel.Text, "create");
        }
        return new PendingWrite(parent, area, temp, rel, new SafeFileHandle(fd, ownsHandle: true));
    }

    /// <summary>A written, fsynced file under a temporary name, waiting to be renamed into place.</summary>
    public sealed class PendingWrite : IDisposable
    {
        private readonly Dir _parent;
        private readonly SafeFileHandle? _area; // held (AddRef) while this write lives; null: the temporary is beside the target
        private readonly string _temp;
        private RelativePath _target;
        private bool _placed, _disposed;

        internal PendingWrite(Dir parent, SafeFileHandle? area, string temp, RelativePath target, SafeFileHandle handle)
        {
            _parent = parent;
            _area = area;
            _temp = temp;
            _target = target;
            Handle = handle;
        }

        private int TempDir => _area is null ? _parent.Fd : (int)_area.DangerousGetHandle();

        internal SafeFileHandle Handle { get; }

        /// <summary>Where <see cref="Commit"/> puts it.</summary>
        public string Target => _target.Text;

        /// <summary>Another name in the same folder (the first was taken).</summary>
        public void Retarget(string relative)
        {
            RelativePath next = RelativePath.Parse(relative);
            if (next.Parent != _target.Parent) throw new ArgumentException($"{relative} is not in the folder of {_target.Text}", nameof(relative));
            _target = next;
        }

        /// <summary>Renames it into place (never over an existing name unless <paramref name="replace"/>) and fsyncs the folder.</summary>
        /// <exception cref="FileExistsException">The name is taken; the file stays pending.</exception>
        public void Commit(bool replace)
        {
            Rename(TempDir, _temp, _parent.Fd, _target.Name, replace, _target.Text);
            _placed = true;
            _ = Fsync(_parent.Fd);
        }

        /// <summary>Undoes a <see cref="Commit"/> that something placed after it could not follow.</summary>
        public unsafe void Retract()
        {
            if (!_placed) return;
            fixed (byte* n = Z(_target.Name)) _ = UnlinkAt(_parent.Fd, n, 0);
            _placed = false;
        }

        public unsafe void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Handle.Dispose();
            if (!_placed)
                fixed (byte* t = Z(_temp)) _ = UnlinkAt(TempDir, t, 0);
            _area?.DangerousRelease();
            _parent.Dispose();
        }
    }

    /// <summary>A folder file descriptor that is closed unless it is the root's own.</summary>
    internal readonly struct Dir(int fd, bool owned) : IDisposable
    {
        public int Fd { get; } = fd;
        public void Dispose()
        {
            if (owned) _ = Close(Fd);
        }
    }
}

public enum MoveResult
{
    Moved,
    /// <summary>The source (or a folder on its way) is gone: someone else moved it first.</summary>
    SourceMissing,
    /// <summary>The target name is taken; nothing was replaced.</summary>
    TargetExists,
}

/// <summary>The name is taken and replacing it was not allowed.</summary>
public sealed class FileExistsException(string path) : IOException($"{path}: already exists; not replaced", EEXIST)
{
    public string RelativePath { get; } = path;
}
