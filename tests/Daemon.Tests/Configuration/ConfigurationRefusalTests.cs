using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Configuration;

/// <summary>
/// The real `resshift serve --config` refuses what cannot work, exit 2 with one line per problem: misspelt
/// keys (with a suggestion), missing, unwritable or overlapping roots, `/`, bad enums and negative counts,
/// invalid JSON (with its position), wrong types from the file or the environment.
/// </summary>
public sealed class ConfigurationRefusalTests
{
    private static string Write(string dir, string json)
    {
        string path = Path.Combine(dir, "resshift.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string Json(object o) => JsonSerializer.Serialize(o);

    private static string[] Lines(string error) =>
        error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.StartsWith("resshift serve: ", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void Misspelt_keys_are_refused_with_the_closest_real_key()
    {
        string dir = Repo.TempDir(), root = Directory.CreateDirectory(Path.Combine(dir, "root")).FullName;
        string config = Write(dir, Json(new
        {
            ModelsDir = Repo.Engines, MaxBach = 2,
            Watch = new[] { new { Root = root, SetleSeconds = 1 } },
            RabbitMq = new[] { new { Queue = "q", Roots = new[] { Path.Combine(dir, "q") }, DeliverLimit = 3 } },
        }));
        Directory.CreateDirectory(Path.Combine(dir, "q"));
        var (code, error) = ServeRun.Run(config);
        Assert.Equal(2, code);
        string[] lines = Lines(error);
        Assert.Contains("resshift serve: unknown key 'MaxBach'; did you mean 'MaxBatch'?", lines);
        Assert.Contains("resshift serve: unknown key 'Watch[0].SetleSeconds'; did you mean 'Watch[0].SettleSeconds'?", lines);
        Assert.Contains("resshift serve: unknown key 'RabbitMq[0].DeliverLimit'; did you mean 'RabbitMq[0].DeliveryLimit'?", lines);
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public void Missing_slash_file_and_overlapping_roots_bad_formats_and_negative_counts_are_each_named()
    {
        string dir = Repo.TempDir();
        string missing = Path.Combine(dir, "missing"), file = Path.Combine(dir, "file"), shared = Directory.CreateDirectory(Path.Combine(dir, "shared")).FullName;
        File.WriteAllText(file, "not a folder");
        bool slashInboxBefore = Directory.Exists("/inbox");
        string config = Write(dir, Json(new
        {
            ModelsDir = Repo.Engines, Threads = -3, StallSeconds = 0,
            Watch = new object[]
            {
                new { Root = missing }, new { Root = "/" }, new { Root = file },
                new { Root = Path.Combine(shared, "archive"), OutputFormat = "exe" },
            },
            RabbitMq = new[] { new { Queue = "q", Roots = new[] { shared } } },
        }));
        Directory.CreateDirectory(Path.Combine(shared, "archive"));

        var (code, error) = ServeRun.Run(config);
        Assert.Equal(2, code);
        string[] lines = Lines(error);
        Assert.Contains($"resshift serve: watch root {missing} does not exist; roots are not created automatically (create it; inbox/, outbox/ and the rest are made inside)", lines);
        Assert.Contains(lines, l => l.StartsWith("resshift serve: watch root /: the file system root cannot be a watch root", StringComparison.Ordinal));
        Assert.Contains($"resshift serve: watch root {file} is a file, not a directory", lines);
        Assert.Contains(lines, l => l.Contains($"OutputFormat 'exe' is not an output image format", StringComparison.Ordinal));
        Assert.Contains("resshift serve: Threads must be >= 0 (0 = one per core; got -3)", lines);
        Assert.Contains("resshift serve: StallSeconds must be >= 1 (got 0)", lines);
        Assert.Contains(lines, l => l.Contains($"queue q: root {shared} overlaps watch root {Path.Combine(shared, "archive")}", StringComparison.Ordinal));
        Assert.False(Directory.Exists(missing), "a missing root was created");
        Assert.False(!slashInboxBefore && Directory.Exists("/inbox"), "/inbox was created");
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(shared, "archive")));
    }

    [Fact]
    public void Invalid_json_is_refused_with_its_line_and_position()
    {
        string dir = Repo.TempDir();
        string config = Write(dir, "{\n  \"Http\": \"127.0.0.1:0\",\n  \"Threads\": 4\n  \"MaxBatch\": 2\n}\n");
        var (code, error) = ServeRun.Run(config);
        Assert.Equal(2, code);
        string line = Assert.Single(Lines(error));
        Assert.StartsWith($"resshift serve: {config}: invalid JSON at line 4, position 3:", line);
    }

    [Fact]
    public void Wrong_types_in_the_file_or_the_environment_are_usage_errors()
    {
        string dir = Repo.TempDir(), root = Directory.CreateDirectory(Path.Combine(dir, "root")).FullName;
        string config = Write(dir, Json(new
        {
            ModelsDir = Repo.Engines, Threads = "many", Engine = "Gpu",
            Watch = new object[] { new { Root = root, Seed = -1, NoiseScale = "half" } },
        }));
        var (code, error) = ServeRun.Run(config);
        Assert.Equal(2, code);
        string[] lines = Lines(error);
        Assert.Contains("resshift serve: 'Threads' must be a whole number (got \"many\")", lines);
        Assert.Contains("resshift serve: 'Engine' must be one of Auto, Cpu, TensorRt (got \"Gpu\")", lines);
        Assert.Contains("resshift serve: 'Watch[0].Seed' must be a whole number >= 0 (got -1)", lines);
        Assert.Contains("resshift serve: 'Watch[0].NoiseScale' must be a number (got \"half\")", lines);

        string good = Write(dir, Json(new { ModelsDir = Repo.Engines, Watch = new[] { new { Root = root } } }));
        (code, error) = ServeRun.Run(good, new Dictionary<string, string> { ["RESSHIFT_MaxBatch"] = "lots" });
        Assert.Equal(2, code);
        Assert.Contains(Lines(error), l => l.Contains("MaxBatch", StringComparison.Ordinal));
    }

    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_root_this_process_cannot_write_is_refused()
    {
        // root writes anywhere: then the daemon runs as nobody (a copy it can reach, OtherUser), to whom the root
        // (0755, owned by root) is read-only; any other user gets a root made read-only.
        StagedDaemon? other = OtherUser.IsRoot() ? OtherUser.Daemon() : null;
        string dir = other?.TempDir() ?? Repo.TempDir(), root = Directory.CreateDirectory(Path.Combine(dir, "root")).FullName;
        string config = Write(dir, Json(new { ModelsDir = other?.ModelsDir ?? Repo.Engines, Watch = new[] { new { Root = root } } }));
        if (other is not null) File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);
        else File.SetUnixFileMode(root, (UnixFileMode)0b101_101_101);
        var (code, error) = ServeRun.Run(config, new Dictionary<string, string> { ["HOME"] = dir, ["DOTNET_CLI_HOME"] = dir }, other?.Prefix, other?.Executable);
        Assert.True(code == 2, $"exit {code}: {error}");
        Assert.Contains(Lines(error), l => l.StartsWith($"resshift serve: watch root {root} is not writable by this process", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(root, "inbox")));
    }

}
