using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>
/// One real daemon on one watch root (OutputFormat png) shared by the hostile-writer cases, each in its own
/// subfolder of inbox/, plus a folder outside the root that nothing may touch.
/// </summary>
public sealed class HostileRoot : IDisposable
{
    public string Work { get; } = Repo.TempDir();
    public string Root => Path.Combine(Work, "root");
    public string Outside => Path.Combine(Work, "outside");
    public string Inbox => Path.Combine(Root, "inbox");
    public string Outbox => Path.Combine(Root, "outbox");
    public string Done => Path.Combine(Root, "done");
    public string Failed => Path.Combine(Root, "failed");
    internal DaemonProcess Daemon { get; }

    public HostileRoot()
    {
        Directory.CreateDirectory(Inbox);
        Directory.CreateDirectory(Outside);
        WatchFixtures.WritePng(Path.Combine(Outside, "photo.png"), 16, 16, 99);
        Daemon = DaemonProcess.Start(Work, [new { Root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, OutputFormat = "png" }], maxJobsInFlight: 2);
    }

    public string[] OutsideEntries() => Directory.GetFileSystemEntries(Outside, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order().ToArray()!;

    public JsonElement Sidecar(string outboxRelative)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Outbox, outboxRelative + ".resshift.json")));
        return doc.RootElement.Clone();
    }

    public string ErrorReason(string failedRelative)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Failed, failedRelative + ".error.json")));
        return doc.RootElement.GetProperty("reason").GetString()!;
    }

    public Task WaitFor(Func<bool> condition, int seconds = 120) =>
        WatchFixtures.WaitUntil(condition, TimeSpan.FromSeconds(seconds), () => "daemon log:\n" + Daemon.Log());

    public void Dispose() => Daemon.Dispose();
}
