using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Tests.Processing;

public class MemoryBudgetTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WaitersAreServedInArrivalOrderAsMemoryComesBack()
    {
        var budget = new MemoryBudget(100);
        await budget.WaitAsync(60, CancellationToken.None).WaitAsync(Wait);
        Task big = budget.WaitAsync(90, CancellationToken.None);    // must wait for the 60 to come back
        Task small = budget.WaitAsync(10, CancellationToken.None);  // would fit now, but queues behind the big one
        // Grants happen only inside WaitAsync, Release and a cancellation, under the budget's lock: nothing else can
        // still complete these, so their state now is final until the Release below (no sleep needed to see it).
        Assert.Equal(60, budget.Used);
        Assert.False(big.IsCompleted);
        Assert.False(small.IsCompleted, "a small request overtook a waiting big one (the big one could starve)");

        budget.Release(60);
        await big.WaitAsync(Wait);
        await small.WaitAsync(Wait);
        Assert.Equal(100, budget.Used);
        budget.Release(90);
        budget.Release(10);
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task ACancelledWaiterTakesNothingAndUnblocksThoseBehindIt()
    {
        var budget = new MemoryBudget(100);
        await budget.WaitAsync(50, CancellationToken.None).WaitAsync(Wait);
        using var cancel = new CancellationTokenSource();
        Task head = budget.WaitAsync(80, cancel.Token);
        Task behind = budget.WaitAsync(40, CancellationToken.None);
        Assert.Equal(50, budget.Used); // as above: only Release or the cancellation can grant it
        Assert.False(behind.IsCompleted);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => head.WaitAsync(Wait));
        await behind.WaitAsync(Wait); // 50 + 40 fit once the 80 stopped waiting
        Assert.Equal(90, budget.Used);
    }

    [Fact]
    public void ARequestLargerThanTheWholeBudgetIsRefusedNotQueued()
    {
        var budget = new MemoryBudget(100);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = budget.WaitAsync(101, CancellationToken.None); });
        Assert.Equal(0, budget.Used);
        Assert.Throws<InvalidOperationException>(() => budget.Release(1));
    }
}
