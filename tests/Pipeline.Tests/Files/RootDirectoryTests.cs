using System.Diagnostics;
using System.Text;
using ResShift.Pipeline.Files;

namespace ResShift.Pipeline.Tests.Files;

/// <summary>
/// The safe-path layer on real files: every operation is tried against the tricks a hostile writer with
/// access to a root can play (links on the way or at the end, '..', FIFOs, devices, huge files, swaps
/// between a check and a use). Each case runs through openat2 and through the O_NOFOLLOW walk.
/// </summary>
[Collection(nameof(RootDirectoryTests))] // UseOpenat2 is process-wide
public sealed class RootDirectoryTests : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("resshift-files-").FullName;
    private readonly string _root;
    private readonly string _outside;

    public RootDirectoryTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_base, "root")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_base, "outside")).FullName;
        File.WriteAllText(Path.Combine(_outside, "secret.png"), "outside content");
    }

    public void Dispose()
    {
        RootDirectory.UseOpenat2 = true;
        Directory.Delete(_base, recursive: true);
    }

    public static TheoryData<bool> Resolvers => new() { true, false };

    private RootDirectory Open(bool openat2)
    {
        RootDirectory.UseOpenat2 = openat2;
        return RootDirectory.Open(_root);
    }

    [Theory, MemberData(nameof(Resolvers))]
    public async Task Files_are_written_read_moved_and_deleted_inside_the_root(bool openat2)
    {
        using RootDirectory root = Open(openat2);
        await root.WriteAtomicAsync("a/b/c.png", (s, ct) => s.WriteAsync("hello"u8.ToArray(), ct).AsTask(), replace: false, CancellationToken.None);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_root, "a/b/c.png")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "a/b"), "*" + RootDirectory.TempSuffix, SearchOption.AllDirectories));
        Assert.Equal(Encoding.UTF8.GetBytes("hello"), root.ReadAllBytes("a/b/c.png", 100));
        Assert.Equal(new FileEntry(FileKind.Regular, 5, File.GetLastWriteTimeUtc(Path.Combine(_root, "a/b/c.png"))) with { ModifiedUtc = default },
            root.Stat("a/b/c.png")!.Value with { ModifiedUtc = default });

        using RootDirectory other = root.OpenDirectory("done");
        Assert.Equal(MoveResult.Moved, root.Move("a/b/c.png", other, "x/c.png"));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_root, "done/x/c.png")));
        Assert.Equal(MoveResult.SourceMissing, root.Move("a/b/c.png", other, "x/d.png"));
        Assert.Null(root.Stat("a/b/c.png"));
        Assert.Null(root.Stat("nowhere/c.png"));
        Assert.True(other.Delete("x/c.png"));
        Assert.False(other.Delete("x/c.png"));
        Assert.True(other.DeleteEmptyDirectory("x"));
        Assert.False(Directory.Exists(Path.Combine(_root, "done/x")));
    }

    [Theory, MemberData(nameof(Resolvers))]
    public async Task A_symlinked_folder_on_the_way_is_refused_for_every_operation(bool openat2)
    {
        using RootDirectory root = Open(openat2);
        Directory.CreateDirectory(Path.Combine(_root, "in"));
        File.CreateSymbolicLink(Path.Combine(_root, "in/dirlink"), _outside);

        AssertRefused(UnsafePathReason.Symlink, () => root.OpenRead("in/dirlink/secret.png", 1 << 20, out _));
        AssertRefused(UnsafePathReason.Symlink, () => root.CreateDirectory("in/dirlink/sub"));
        await Assert.ThrowsAsync<UnsafePathException>(() => root.WriteAtomicAsync("in/dirlink/new.png",
            (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), replace: false, CancellationToken.None));
        File.WriteAllText(Path.Combine(_root, "in/mine.png"), "mine");
        AssertRefused(UnsafePathReason.Symlink, () => root.Move("in/mine.png", root, "in/dirlink/mine.png"));
        AssertRefused(UnsafePathReason.Symlink, () => root.Delete("in/dirlink/secret.png"));
        AssertRefused(UnsafePathReason.Symlink, () => root.OpenDirectory("in/dirlink", create: false));

        Assert.Equal(["secret.png"], Directory.GetFileSystemEntries(_outside).Select(Path.GetFileName));
        Assert.Equal("outside content", File.ReadAllText(Path.Combine(_outside, "secret.png")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(_root, "in/mine.png")));
    }

    [Theory, MemberData(nameof(Resolvers))]
    public void A_final_symlink_is_refused_and_a_link_is_moved_as_a_link(bool openat2)
    {
        using RootDirectory root = Open(openat2);
        File.CreateSymbolicLink(Path.Combine(_root, "evil.png"), Path.Combine(_outside, "secret.png"));

        AssertRefused(UnsafePathReason.Symlink, () => root.OpenRead("evil.png", 1 << 20, out _));
        Assert.Equal(FileKind.Symlink, root.Stat("evil.png")!.Value.Kind);
        // Moving aside or deleting acts on the link itself, never on its target.
        Assert.Equal(MoveResult.Moved, root.Move("evil.png", root, "failed/evil.png"));
        Assert.NotNull(new FileInfo(Path.Combine(_root, "failed/evil.png")).LinkTarget);
        Assert.True(root.Delete("failed/evil.png"));
        Assert.Equal("outside content", File.ReadAllText(Path.Combine(_outside, "secret.png")));
    }

    [Theory]
    [InlineData("../outside/secret.png")]
    [InlineData("a/../../outside/secret.png")]
    [InlineData("./a")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("")]
    public void Dot_dot_absolute_and_malformed_paths_are_refused_by_their_text(string path)
    {
        using RootDirectory root = Open(true);
        AssertRefused(UnsafePathReason.Invalid, () => root.OpenRead(path, 1 << 20, out _));
        AssertRefused(UnsafePathReason.Invalid, () => root.Move(path, root, "x.png"));
    }

    [Fact]
    public void A_name_longer_than_255_bytes_is_refused_before_any_system_call()
    {
        using RootDirectory root = Open(true);
        AssertRefused(UnsafePathReason.NameTooLong, () => root.CreateDirectory(new string('é', 128))); // 256 bytes
        root.CreateDirectory(new string('a', 255));
        Assert.True(Directory.Exists(Path.Combine(_root, new string('a', 255))));
    }

    [Theory, MemberData(nameof(Resolvers))]
    public async Task A_fifo_is_refused_without_blocking(bool openat2)
    {
        using RootDirectory root = Open(openat2);
        string fifo = Path.Combine(_root, "pipe.png");
        using (var mk = Process.Start(new ProcessStartInfo("mkfifo", [fifo]))!)
        {
            Assert.True(mk.WaitForExit(10_000));
            Assert.Equal(0, mk.ExitCode);
        }
        // A blocking open of a FIFO with no writer never returns: the timeout is the proof that it does not block.
        Task<Exception?> open = Task.Run<Exception?>(() => Record.Exception(() => root.OpenRead("pipe.png", 1 << 20, out _)));
        Assert.Same(open, await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(10))));
        var refused = Assert.IsType<UnsafePathException>(await open);
        Assert.Equal(UnsafePathReason.NotRegularFile, refused.Reason);
        Assert.Contains("FIFO", refused.Message);
    }

    [Fact]
    public void A_device_and_a_directory_are_not_regular_files()
    {
        using RootDirectory dev = RootDirectory.Open("/dev");
        var zero = AssertRefused(UnsafePathReason.NotRegularFile, () => dev.OpenRead("zero", long.MaxValue, out _));
        Assert.Contains("character device", zero.Message);
        using RootDirectory root = Open(true);
        Directory.CreateDirectory(Path.Combine(_root, "photo.png"));
        AssertRefused(UnsafePathReason.NotRegularFile, () => root.OpenRead("photo.png", 1 << 20, out _));
    }

    [Fact]
    public void The_size_limit_is_read_from_the_handle_before_any_byte()
    {
        using RootDirectory root = Open(true);
        File.WriteAllBytes(Path.Combine(_root, "small.png"), new byte[1000]);
        // A sparse terabyte: reading even part of it would take minutes, refusing it takes a stat.
        using (var huge = File.Create(Path.Combine(_root, "huge.png"))) huge.SetLength(1L << 40);

        var sw = Stopwatch.StartNew();
        var refused = AssertRefused(UnsafePathReason.TooLarge, () => root.OpenRead("huge.png", 1L << 30, out _));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");
        Assert.Contains("1099511627776 bytes", refused.Message);
        AssertRefused(UnsafePathReason.TooLarge, () => root.OpenRead("small.png", 999, out _));
        using var ok = root.OpenRead("small.png", 1000, out long length);
        Assert.Equal(1000, length);
    }

    [Theory, MemberData(nameof(Resolvers))]
    public async Task Renames_and_writes_never_replace_an_existing_file(bool openat2)
    {
        using RootDirectory root = Open(openat2);
        File.WriteAllText(Path.Combine(_root, "a.png"), "a");
        Directory.CreateDirectory(Path.Combine(_root, "done"));
        File.WriteAllText(Path.Combine(_root, "done/a.png"), "victim");

        using RootDirectory done = root.OpenDirectory("done");
        Assert.Equal(MoveResult.TargetExists, root.Move("a.png", done, "a.png"));
        Assert.Equal("victim", File.ReadAllText(Path.Combine(_root, "done/a.png")));
        Assert.Equal("a", File.ReadAllText(Path.Combine(_root, "a.png")));

        await Assert.ThrowsAsync<FileExistsException>(() => done.WriteAtomicAsync("a.png",
            (s, ct) => s.WriteAsync("new"u8.ToArray(), ct).AsTask(), replace: false, CancellationToken.None));
        Assert.Equal("victim", File.ReadAllText(Path.Combine(_root, "done/a.png")));
        Assert.Single(Directory.GetFileSystemEntries(Path.Combine(_root, "done")));

        await done.WriteAtomicAsync("a.png", (s, ct) => s.WriteAsync("ours"u8.ToArray(), ct).AsTask(), replace: true, CancellationToken.None);
        Assert.Equal("ours", File.ReadAllText(Path.Combine(_root, "done/a.png")));
    }

    [Theory, MemberData(nameof(Resolvers))]
    public async Task A_taken_output_name_leaves_no_companion_behind(bool openat2)
    {
        using RootDirectory root = Open(openat2);
        File.WriteAllText(Path.Combine(_root, "in.png"), "input");
        File.WriteAllText(Path.Combine(_root, "out.png"), "someone else's");
        var files = new RootedJobFiles(root, "in.png", root, "out.png")
        {
            Companion = (output, _) => (output + ".sidecar", (s, ct) => s.WriteAsync("ours"u8.ToArray(), ct).AsTask()),
        };
        await Assert.ThrowsAsync<FileExistsException>(() => files.WriteOutputAsync((s, ct) => s.WriteAsync("new"u8.ToArray(), ct).AsTask(),
            new ResShift.Pipeline.Processing.JobReport { Name = "in.png" }, CancellationToken.None));
        // The foreign file is untouched and no sidecar of ours now vouches for it.
        Assert.Equal("someone else's", File.ReadAllText(Path.Combine(_root, "out.png")));
        Assert.False(File.Exists(Path.Combine(_root, "out.png.sidecar")));
        Assert.Equal(new[] { "in.png", "out.png" }, Directory.GetFileSystemEntries(_root).Select(f => Path.GetFileName(f)).Order().ToArray());
    }

    [Theory, MemberData(nameof(Resolvers))]
    public async Task A_folder_swapped_for_a_symlink_after_it_was_checked_is_caught_by_the_use(bool openat2)
    {
        using RootDirectory root = Open(openat2);
        Directory.CreateDirectory(Path.Combine(_root, "inbox/sub"));
        Directory.CreateDirectory(Path.Combine(_root, "processing/sub"));
        File.WriteAllText(Path.Combine(_root, "processing/sub/photo.png"), "writer's payload");
        Assert.Equal(FileKind.Directory, root.Stat("inbox/sub")!.Value.Kind); // the "check"

        // The writer swaps the folder for a link to outside the root.
        Directory.Move(Path.Combine(_root, "inbox/sub"), Path.Combine(_root, "inbox/old"));
        File.CreateSymbolicLink(Path.Combine(_root, "inbox/sub"), _outside);

        using RootDirectory inbox = root.OpenDirectory("inbox");
        using RootDirectory processing = root.OpenDirectory("processing");
        AssertRefused(UnsafePathReason.Symlink, () => processing.Move("sub/photo.png", inbox, "sub/photo.png"));
        await Assert.ThrowsAsync<UnsafePathException>(() => inbox.WriteAtomicAsync("sub/out.png",
            (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), replace: false, CancellationToken.None));

        Assert.Equal(["secret.png"], Directory.GetFileSystemEntries(_outside).Select(Path.GetFileName));
        Assert.Equal("writer's payload", File.ReadAllText(Path.Combine(_root, "processing/sub/photo.png")));
    }

    [Fact]
    public void A_root_handle_keeps_its_folder_when_the_path_is_swapped_for_a_link()
    {
        using RootDirectory root = Open(true);
        using RootDirectory outbox = root.OpenDirectory("outbox");
        Directory.Move(Path.Combine(_root, "outbox"), Path.Combine(_root, "outbox.old"));
        File.CreateSymbolicLink(Path.Combine(_root, "outbox"), _outside);

        outbox.CreateDirectory("made");
        Assert.True(Directory.Exists(Path.Combine(_root, "outbox.old/made")));
        Assert.False(Directory.Exists(Path.Combine(_outside, "made")));
    }

    private static UnsafePathException AssertRefused(UnsafePathReason reason, Action action)
    {
        var e = Assert.IsType<UnsafePathException>(Record.Exception(action));
        Assert.Equal(reason, e.Reason);
        return e;
    }

    private static UnsafePathException AssertRefused<T>(UnsafePathReason reason, Func<T> action)
    {
        var e = Assert.IsType<UnsafePathException>(Record.Exception(() => { using var _ = action() as IDisposable; }));
        Assert.Equal(reason, e.Reason);
        return e;
    }
}
