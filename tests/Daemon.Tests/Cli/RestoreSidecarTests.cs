using System.Text.Json;
using ResShift.Daemon.Cli;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Cli;

/// <summary>
/// <c>resshift restore</c> of an image goes through the daemon's job path and writes the same provenance sidecar: the
/// same schema (every field, in the common part and in the "image" block) and the same values for what decides the
/// result, for the same input restored by the real daemon from a watch root.
/// </summary>
public sealed class RestoreSidecarTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task Cli_image_restore_writes_the_daemons_sidecar_schema_and_no_sidecar_when_asked()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), cli = Path.Combine(work, "cli");
        string input = Path.Combine(work, "photo.png");
        WritePng(input, 12, 10, 3);

        var (code, _, err) = await CliRun.Run("restore", input, "-o", Path.Combine(cli, "photo.png"), "--model", "tiny-x4", "--engine", "cpu",
            "--seed", "0", "--models-dir", Repo.Engines);
        Assert.True(code == ExitCodes.Success, err);
        var (bare, _, bareErr) = await CliRun.Run("restore", input, "-o", Path.Combine(cli, "bare.png"), "--model", "tiny-x4", "--engine", "cpu",
            "--no-sidecar", "--models-dir", Repo.Engines);
        Assert.True(bare == ExitCodes.Success, bareErr);
        Assert.True(File.Exists(Path.Combine(cli, "bare.png")));
        Assert.False(File.Exists(Path.Combine(cli, "bare.png.resshift.json")), "--no-sidecar wrote a sidecar");

        Directory.CreateDirectory(Path.Combine(root, "inbox"));
        File.Copy(input, Path.Combine(root, "inbox", "photo.png"));
        string daemonSidecar = Path.Combine(root, "outbox", "photo.png.resshift.json");
        using (var d = DaemonProcess.Start(work, [DaemonProcess.Root(root)]))
        {
            await WaitUntil(() => File.Exists(Path.Combine(root, "done", "photo.png")) || d.HasExited, Phase, d.Log);
            Assert.True(d.Terminate(TimeSpan.FromSeconds(60)));
        }

        using JsonDocument fromCli = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(cli, "photo.png.resshift.json")));
        using JsonDocument fromDaemon = JsonDocument.Parse(File.ReadAllBytes(daemonSidecar));
        Assert.Equal(Shape(fromDaemon.RootElement), Shape(fromCli.RootElement));
        foreach (string[] path in new[]
        {
            new[] { "schema" }, ["kind"], ["software", "name"], ["software", "version"], ["input", "sha256"], ["input", "width"], ["input", "height"],
            ["output", "width"], ["output", "height"], ["model", "id"], ["model", "files"], ["model", "licence"], ["engine", "name"], ["engine", "precision"],
            ["seed"], ["noise_scale"], ["image", "blend"], ["image", "tile_plan"], ["image", "fidelity", "method"],
        })
            Assert.Equal(At(fromDaemon.RootElement, path), At(fromCli.RootElement, path));
        Assert.Equal("image", fromCli.RootElement.GetProperty("kind").GetString());
        Assert.Equal("photo.png", fromCli.RootElement.GetProperty("output").GetProperty("name").GetString());
    }

    /// <summary>Every field's path and JSON type (arrays as one entry), sorted: the schema a reader sees.</summary>
    private static List<string> Shape(JsonElement e, string at = "")
    {
        var list = new List<string> { $"{at}:{e.ValueKind}" };
        if (e.ValueKind == JsonValueKind.Object)
            foreach (JsonProperty p in e.EnumerateObject()) list.AddRange(Shape(p.Value, at + "/" + p.Name));
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    private static string At(JsonElement e, string[] path)
    {
        foreach (string p in path) e = e.GetProperty(p);
        return e.GetRawText();
    }
}
