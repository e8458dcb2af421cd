using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using ResShift.Daemon.Tests.Video;
using static ResShift.Daemon.Tests.RabbitMq.QueueFixtures;

namespace ResShift.Daemon.Tests.RabbitMq;

/// <summary>
/// Issue 15 for queue videos, on a real daemon and the real broker: the output's folder swapped for a link to a
/// folder outside the roots while the video's segments are being restored. The spool (segments, records, plan,
/// joined and muxed files) is in the root's own <c>.resshift-video/</c>, reached through the daemon's descriptor,
/// so nothing is created outside; the delivery resolves the output again and refuses the link.
/// </summary>
public sealed class HostileVideoQueueTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_output_folder_swapped_for_a_link_mid_job_gets_nothing_written_outside_and_the_job_fails_with_a_path_error()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("vhostile");
        string sub = Directory.CreateDirectory(Path.Combine(root, "out", "sub")).FullName, outside = Path.Combine(work, "outside");
        Directory.CreateDirectory(Path.Combine(root, "in"));
        await Clips.MakeAsync(Path.Combine(root, "in"), "clip.mkv", frames: 8);
        string tap = await broker.TapEventsAsync(queue);
        try
        {
            using DaemonProcess d = DaemonProcess.Start(work, [], maxJobsInFlight: 4, drainSeconds: 30,
                rabbitMq: [Queue(broker.Uri, queue, root, deliveryLimit: 2)], threads: 1, configName: "hv.json");
            await WaitReadyAsync(d, Phase);
            await broker.PublishAsync(queue, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
            {
                ["id"] = "hv", ["input"] = "in/clip.mkv", ["output"] = "out/sub/clip.mkv", ["video"] = new { codec = "ffv1", segment_frames = 1 },
            }), "hv");

            // Once a worker is restoring a segment (past its path checks, before its writes), move out/sub outside the
            // root and put a link to it in its place: what someone who can write in out/ can do at any moment.
            await WatchFixtures.WaitUntil(() => d.Log().Contains("of hv: restoring", StringComparison.Ordinal), Phase, d.Log);
            Directory.Move(sub, outside);
            Directory.CreateSymbolicLink(sub, outside);
            string[] atSwap = Entries(outside);

            var jobs = new List<(string Event, string? Error)>();
            await WatchFixtures.WaitUntil(() =>
            {
                foreach (var (body, _) in broker.DrainAsync(tap).GetAwaiter().GetResult())
                {
                    using JsonDocument doc = JsonDocument.Parse(body);
                    if (doc.RootElement.GetProperty("id").GetString() == "hv")
                        jobs.Add((doc.RootElement.GetProperty("event").GetString()!, doc.RootElement.GetProperty("error").GetString()));
                }
                return jobs.Any(j => j.Event is "job.failed" or "job.completed")
                    && broker.CountAsync(queue + ".segments").GetAwaiter().GetResult().Ready == 0 && VideosInFlight(d).GetAwaiter().GetResult() == 0;
            }, Phase, () => $"events {string.Join(", ", jobs)}; log:\n{d.Log()}");
            Assert.False(d.HasExited, "the daemon died");
            Assert.True(await ReadyAsync(d));
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30))); // then nothing of it can still be writing
            Assert.Equal(0, d.ExitCode);

            Assert.Equal(atSwap, Entries(outside)); // nothing at all created outside the root after the swap
            Assert.DoesNotContain(jobs, j => j.Event == "job.completed");
            var failed = Assert.Single(jobs, j => j.Event == "job.failed");
            Assert.Contains("symlink", failed.Error);
            Assert.False(File.Exists(Path.Combine(outside, "clip.mkv")));

            // The spool was in the root's own folder (with the failure marker), never beside the output.
            string spools = Path.Combine(root, ".resshift-video");
            string spool = Assert.Single(Directory.GetDirectories(spools));
            Assert.EndsWith("-clip.mkv.resshift-segments", spool);
            Assert.True(File.Exists(Path.Combine(spool, "failed.txt")), "no failure marker in the spool");
            Assert.True(Directory.GetFiles(spool, "segment-*.json").Length >= 1, "no segment was committed into the root's spool");

        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    /// <summary>The daemon's video jobs (segment restores) running now, from its /metrics.</summary>
    private static async Task<double> VideosInFlight(DaemonProcess d)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{d.HttpPort}/metrics");
        string line = metrics.Split('\n').Single(l => l.StartsWith("resshift_video_jobs_inflight", StringComparison.Ordinal));
        return double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Every name under a folder (recursively), as relative paths, sorted.</summary>
    private static string[] Entries(string folder) =>
        [.. Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(e => Path.GetRelativePath(folder, e)).Order(StringComparer.Ordinal)];
}
