using System.Net.Http;
using System.Text.Json;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.RabbitMq;

internal static class QueueFixtures
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public static object Queue(string uri, string queue, string root, int deliveryLimit = 10) =>
        new { Uri = uri, Queue = queue, Roots = new[] { root }, Model = "tiny-x4", DeliveryLimit = deliveryLimit };

    public static DaemonProcess StartDaemon(string work, string name, object queue, int threads = 1) =>
        DaemonProcess.Start(work, [], maxJobsInFlight: 4, drainSeconds: 30, rabbitMq: [queue], threads: threads, configName: name + ".json");

    public static async Task<bool> ReadyAsync(DaemonProcess d)
    {
        try
        {
            return (await Http.GetAsync($"http://127.0.0.1:{d.HttpPort}/readyz")).IsSuccessStatusCode;
        }
        catch (Exception)
        {
            return false;
        }
    }

    public static async Task WaitReadyAsync(DaemonProcess d, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await ReadyAsync(d))
        {
            if (d.HasExited || DateTime.UtcNow > deadline) throw new TimeoutException($"daemon not ready; log:\n{d.Log()}");
            await Task.Delay(100);
        }
    }

    public static byte[] Message(string id, string input, string output, object? options = null, string? model = null) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["id"] = id, ["input"] = input, ["output"] = output, ["model"] = model, ["options"] = options,
        });

    /// <summary>N small PNGs (8×8: one 64² tile with the tiny model) and one message each.</summary>
    public static List<(string Id, byte[] Body)> Jobs(string root, int n, string prefix = "job")
    {
        var list = new List<(string, byte[])>();
        for (int i = 0; i < n; i++)
        {
            string id = $"{prefix}-{i:D4}";
            string input = Path.Combine(root, "in", id + ".png");
            WatchFixtures.WritePng(input, 8, 8, i);
            list.Add((id, Message(id, input, Path.Combine(root, "out", id + ".png"))));
        }
        return list;
    }

    public static int Outputs(string root) =>
        Directory.Exists(Path.Combine(root, "out")) ? Directory.GetFiles(Path.Combine(root, "out"), "*.png.resshift.json").Length : 0;
}
