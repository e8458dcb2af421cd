using System.Collections.Concurrent;
using ResShift.Daemon.Inputs.RabbitMq;

namespace ResShift.Daemon.Tests.RabbitMq;

/// <summary>The broker reconnect backoff (Polly), on a clock whose pauses end at once so the delays can be read.</summary>
public sealed class ReconnectPolicyTests
{
    [Fact]
    public async Task Failures_are_retried_with_growing_jittered_pauses_capped_at_15_s_and_a_connection_ends_the_outage()
    {
        var clock = new InstantClock();
        var told = new List<(string Error, TimeSpan Pause)>();
        var policy = ReconnectPolicy.Build<string>((e, pause) => told.Add((e.Message, pause)), clock);
        int tries = 0;

        string result = await policy.ExecuteAsync(_ => ++tries <= 12 ? throw new IOException($"refused {tries}") : ValueTask.FromResult("connected"))
            .AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("connected", result);
        Assert.Equal(12, told.Count);
        Assert.Equal("refused 1", told[0].Error);
        // The pause told is the pause taken (timers keep whole milliseconds).
        Assert.Equal(told.Select(t => (long)t.Pause.TotalMilliseconds), clock.Pauses.Select(p => (long)p.TotalMilliseconds));
        Assert.All(told, t => Assert.InRange(t.Pause, TimeSpan.FromTicks(1), ReconnectPolicy.MaxDelay));
        Assert.True(told.Skip(8).Max(t => t.Pause) >= TimeSpan.FromSeconds(4), string.Join(", ", told.Select(t => t.Pause.TotalSeconds)));

        // The next outage starts again near 0.5 s, not at the ceiling the last one reached.
        told.Clear();
        tries = 0;
        await policy.ExecuteAsync(_ => ++tries <= 1 ? throw new IOException("refused") : ValueTask.FromResult("again")).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.InRange(Assert.Single(told).Pause, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Stopping_ends_the_retries_with_a_cancellation()
    {
        var clock = new InstantClock();
        using var stop = new CancellationTokenSource();
        int tries = 0;
        var policy = ReconnectPolicy.Build<string>((_, _) => { if (tries >= 3) stop.Cancel(); }, clock);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            policy.ExecuteAsync<string>(_ => { tries++; throw new IOException("refused"); }, stop.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(3, tries);
    }

    /// <summary>Every timer fires at once; its due time is kept.</summary>
    private sealed class InstantClock : TimeProvider
    {
        private readonly ConcurrentQueue<TimeSpan> _pauses = new();

        public IEnumerable<TimeSpan> Pauses => _pauses;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                _pauses.Enqueue(dueTime);
                ThreadPool.QueueUserWorkItem(_ => callback(state));
            }
            return new Fired();
        }

        private sealed class Fired : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;
            public void Dispose() { }
            public ValueTask DisposeAsync() => default;
        }
    }
}
