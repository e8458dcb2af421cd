using ResShift.Pipeline.Files;

namespace ResShift.Pipeline.Tests.Files;

/// <summary>
/// Temporary files in a per-process area under the root (<c>.resshift-tmp/OWNER.N/</c>, held by a lock): never beside
/// the target, removed with the area on a clean stop, and swept only when the owner's lock is free (its process gone).
/// </summary>
[Collection(nameof(RootDirectoryTests))] // RootDirectory.UseOpenat2 is process-wide
public sealed class TempAreaTests : IDisposable
{
    private static readonly EnumerationOptions All = new() { RecurseSubdirectories = true, AttributesToSkip = 0 };
    private readonly string _root = Directory.CreateTempSubdirectory("resshift-temps-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Area => Path.Combine(_root, ".resshift-tmp");

    [Fact]
    public async Task Temporaries_go_to_the_process_area_and_only_a_dead_processs_area_is_swept()
    {
        // What a killed process leaves: an area whose lock file nobody holds.
        Directory.CreateDirectory(Path.Combine(Area, "gone.1"));
        File.WriteAllText(Path.Combine(Area, "gone.1.lock"), "");
        File.WriteAllText(Path.Combine(Area, "gone.1", "0123.resshift-tmp"), "half an output");

        RootDirectory live = RootDirectory.Open(_root).UseTemporaryArea("live");
        Assert.False(Directory.Exists(Path.Combine(Area, "gone.1")));
        Assert.False(File.Exists(Path.Combine(Area, "gone.1.lock")));

        using (RootDirectory outbox = live.OpenDirectory("out"))
        using (RootDirectory.PendingWrite pending = await outbox.PrepareAsync("sub/a.png", (s, ct) => s.WriteAsync("image"u8.ToArray(), ct).AsTask(), CancellationToken.None))
        {
            string temp = Assert.Single(Directory.GetFiles(Area, "*" + RootDirectory.TempSuffix, All));
            Assert.StartsWith(Path.Combine(Area, "live."), temp);
            Assert.Empty(Directory.GetFiles(Path.Combine(_root, "out"), "*", All)); // nothing beside the target

            // A peer (another opening, another lock) sweeping now must leave the live area alone.
            using (RootDirectory peer = RootDirectory.Open(_root).UseTemporaryArea("peer"))
                Assert.Equal(0, peer.RemoveDeadTemporaries());
            Assert.True(File.Exists(temp));

            pending.Commit(replace: false);
            Assert.False(File.Exists(temp));
        }
        Assert.Equal("image", File.ReadAllText(Path.Combine(_root, "out", "sub", "a.png")));

        live.Dispose(); // a clean stop takes its area and lock file with it
        Assert.Empty(Directory.GetFileSystemEntries(Area));
    }

    [Fact]
    public async Task A_failed_write_leaves_nothing_in_the_area()
    {
        using RootDirectory root = RootDirectory.Open(_root).UseTemporaryArea("failing");
        await Assert.ThrowsAsync<InvalidOperationException>(() => root.WriteAtomicAsync("a.png", (_, _) => throw new InvalidOperationException("encoder broke"), replace: false, CancellationToken.None));
        Assert.DoesNotContain(Directory.GetFiles(Area, "*", All), f => !f.EndsWith(".lock", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_root, "a.png")));
    }
}
