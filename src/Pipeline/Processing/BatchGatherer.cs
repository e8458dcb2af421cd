using System.Diagnostics;
using System.Threading.Channels;

namespace ResShift.Pipeline.Processing;

/// <summary>
/// The one batching rule of every engine loop (ResShift tiles, BIRD UNet calls): take up to a full batch from a
/// channel, waiting at most <c>maxDelay</c> after the first item for more. Items the caller no longer wants (their
/// job failed or was cancelled) are handed to <c>drop</c> instead of the batch. One gatherer per engine loop.
/// </summary>
internal sealed class BatchGatherer<T>(ChannelReader<T> reader, int maxBatch, TimeSpan maxDelay, CancellationToken stop) : IDisposable
{
    private readonly BatchTimeout _delay = new(stop);

    /// <summary>Fills <paramref name="batch"/> (cleared first); empty when the channel had nothing after all.</summary>
    public async ValueTask GatherAsync(List<T> batch, Func<T, bool> keep, Action<T> drop)
    {
        batch.Clear();
        long deadline = 0;
        while (batch.Count < maxBatch)
        {
            if (reader.TryRead(out T? item))
            {
                if (!keep(item))
                {
                    drop(item);
                    continue;
                }
                batch.Add(item);
                if (batch.Count == 1) deadline = Stopwatch.GetTimestamp() + (long)(maxDelay.TotalSeconds * Stopwatch.Frequency);
                continue;
            }
            if (batch.Count == 0) return;
            long remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0) return;
            CancellationToken timeout = _delay.Arm(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency));
            try
            {
                if (!await reader.WaitToReadAsync(timeout).ConfigureAwait(false)) return;
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                return; // the partial batch waited long enough
            }
        }
    }

    public void Dispose() => _delay.Dispose();
}
