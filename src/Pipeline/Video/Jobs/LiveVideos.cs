using System.Collections.Concurrent;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>The video jobs running in this process, for /v1/status.</summary>
public static class LiveVideos
{
    private static readonly ConcurrentDictionary<VideoRestoreJob, byte> Jobs = new();

    internal static void Add(VideoRestoreJob job) => Jobs.TryAdd(job, 0);
    internal static void Remove(VideoRestoreJob job) => Jobs.TryRemove(job, out _);

    public static IReadOnlyList<VideoRestoreJob> Snapshot() => [.. Jobs.Keys.OrderBy(j => j.Name, StringComparer.Ordinal)];
}
