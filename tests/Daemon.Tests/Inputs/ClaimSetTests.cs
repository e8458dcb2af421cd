using ResShift.Daemon.Inputs;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Tests.Inputs;

public class ClaimSetTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WaitersWakeOnTheChangeThatSatisfiesThem()
    {
        var set = new ClaimSet<string>(StringComparer.Ordinal);
        Claim a = set.Add("a"), b = set.Add("b"), c = set.Add("c");
        Task idle = set.WaitIdleAsync(CancellationToken.None);
        Task room = set.WaitForRoomAsync(3, CancellationToken.None);
        Assert.False(idle.IsCompleted);
        Assert.False(room.IsCompleted);

        a.Dispose();
        await room.WaitAsync(Timeout);                 // 2 < 3
        Assert.False(idle.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => set.Add("b")); // one claim per key
        b.Dispose();
        b.Dispose();                                   // idempotent
        Assert.False(idle.IsCompleted);
        c.Dispose();
        await idle.WaitAsync(Timeout);
        Assert.Equal(0, set.Count);
        Assert.False(set.Contains("a"));
    }

    [Fact]
    public async Task WaitingIsCancellable()
    {
        var set = new ClaimSet<int>();
        using Claim held = set.Add(1);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => set.WaitIdleAsync(cts.Token).WaitAsync(Timeout));
    }

    [Fact]
    public async Task ReturnUnstartedCancelsOnlyClaimsWhoseJobHasNotStarted()
    {
        string dir = Repo.TempDir();
        string input = Path.Combine(dir, "in.png");
        File.Copy(Repo.Images("tiny-2x3.png"), input);
        var set = new ClaimSet<string>();
        using Claim waiting = set.Add("waiting"), building = set.Add("building"), running = set.Add("running");
        waiting.Job = Job(input);
        running.Job = Job(input);
        _ = await running.Job.LoadAsync(CancellationToken.None); // as the pipeline does when it starts a job
        Assert.True(running.Started);

        set.ReturnUnstarted();
        Assert.True(waiting.Token.IsCancellationRequested);
        Assert.True(building.Token.IsCancellationRequested);  // no job yet: not started either
        Assert.False(running.Token.IsCancellationRequested);

        set.CancelAll();
        Assert.True(running.Token.IsCancellationRequested);
    }

    private static FileRestoreJob Job(string input) =>
        new(input, input + ".out.png", "in.png", "test", 4, new ImageDecoder(), new ImageEncoder());
}
