using System.Runtime.InteropServices;

namespace ResShift.Pipeline.Files.Native;

/// <summary>The *at() family of libc and Linux calls the safe-path layer is built on.</summary>
internal static unsafe partial class FileNativeMethods
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100, O_NONBLOCK = 0x800;
    public const int O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    public const int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    public const int F_GETFL = 3, F_SETFL = 4;
    public const int O_RDWR = 2, LOCK_EX = 2, LOCK_NB = 4, EWOULDBLOCK = 11;
    public const uint RENAME_NOREPLACE = 1;
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_BENEATH = 0x08;
    public const uint STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_MTIME = 0x40, STATX_SIZE = 0x200;
    public const int ENOENT = 2, EINTR = 4, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOSPC = 28, ENOSYS = 38;
    public const int ELOOP = 40, EXDEV = 18, EPERM = 1, EACCES = 13, ENOTEMPTY = 39, ENAMETOOLONG = 36, EROFS = 30, EDQUOT = 122, E2BIG = 7;

    /// <summary>openat2(2) has the same number on every architecture (it was added after the tables were unified).</summary>
    public const long SYS_openat2 = 437;

    [StructLayout(LayoutKind.Sequential)]
    public struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    /// <summary>struct statx is the same on every architecture (unlike struct stat), so it is read by offset.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    public struct Statx
    {
        public uint Mask;
        public uint BlockSize;
        public ulong Attributes;
        public uint Links;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
        public ushort Spare0;
        public ulong Inode;
        public ulong Size;
        public ulong Blocks;
        public ulong AttributesMask;
        public long AtimeSec; public uint AtimeNsec; public int AtimeReserved;
        public long BtimeSec; public uint BtimeNsec; public int BtimeReserved;
        public long CtimeSec; public uint CtimeNsec; public int CtimeReserved;
        public long MtimeSec; public uint MtimeNsec; public int MtimeReserved;
        public uint RdevMajor, RdevMinor, DevMajor, DevMinor;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, long dirfd, byte* path, OpenHow* how, nuint size);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(int dirfd, byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    public static partial int RenameAt2(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, uint flags);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true)]
    public static partial int LinkAt(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    public static partial int UnlinkAt(int dirfd, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    public static partial int MkdirAt(int dirfd, byte* path, uint mode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    public static partial int StatxAt(int dirfd, byte* path, int flags, uint mask, Statx* buffer);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);
}
