using System.Diagnostics;

namespace ResShift.Daemon.Tests.Systemd;

/// <summary>systemd/resshift.service: the settings the daemon's behaviour depends on, and a clean systemd-analyze verify.</summary>
public class UnitFileTests
{
    private static string Repo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ResShift.Pipeline.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root");
    }

    private static string UnitPath => Path.Combine(Repo(), "systemd", "resshift.service");

    /// <summary>[Service] assignments; a repeated key keeps every value, in order.</summary>
    private static Dictionary<string, List<string>> Section(string name)
    {
        var result = new Dictionary<string, List<string>>();
        string? current = null;
        foreach (string raw in File.ReadLines(UnitPath))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[') { current = line.Trim('[', ']'); continue; }
            if (current != name) continue;
            int eq = line.IndexOf('=');
            Assert.True(eq > 0, $"not KEY=VALUE: {line}");
            string key = line[..eq].Trim();
            if (!result.TryGetValue(key, out var values)) result[key] = values = [];
            values.Add(line[(eq + 1)..].Trim());
        }
        return result;
    }

    private static string One(Dictionary<string, List<string>> s, string key)
    {
        Assert.True(s.TryGetValue(key, out var v), $"{key}= missing");
        return v![^1];
    }

    [Fact]
    public void ServiceSettingsTheDaemonReliesOn()
    {
        var s = Section("Service");
        Assert.Equal("notify", One(s, "Type"));
        Assert.Equal("main", One(s, "NotifyAccess"));
        Assert.Equal("/usr/local/bin/resshift serve --config /etc/resshift/resshift.json", One(s, "ExecStart"));
        Assert.Equal("-/etc/resshift/resshift.env", One(s, "EnvironmentFile"));
        Assert.Equal("60", One(s, "WatchdogSec"));
        Assert.Equal("on-failure", One(s, "Restart")); // includes on-watchdog
        Assert.Equal("5", One(s, "RestartSec"));
        Assert.Equal("300", One(s, "TimeoutStartSec"));
        Assert.True(int.Parse(One(s, "TimeoutStopSec")) > 120, "TimeoutStopSec must exceed the 120 s drain budget");
        Assert.Equal("SIGTERM", One(s, "KillSignal"));
        Assert.Equal("mixed", One(s, "KillMode"));
        Assert.Equal("resshift", One(s, "User"));
        Assert.Equal("no", One(s, "DynamicUser"));
        foreach (string dir in new[] { "StateDirectory", "LogsDirectory", "RuntimeDirectory" })
            Assert.Equal("resshift", One(s, dir));
    }

    [Fact]
    public void Hardening()
    {
        var s = Section("Service");
        foreach (string key in new[] { "NoNewPrivileges", "ProtectHome", "PrivateTmp", "ProtectKernelTunables",
                     "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "RestrictNamespaces", "LockPersonality" })
            Assert.Equal("yes", One(s, key));
        Assert.Equal("strict", One(s, "ProtectSystem"));
        Assert.Contains("/srv/resshift", One(s, "ReadWritePaths"));
        Assert.Equal("no", One(s, "PrivateDevices"));          // GPU device nodes
        Assert.Equal("no", One(s, "MemoryDenyWriteExecute"));  // .NET JIT
        Assert.False(s.ContainsKey("ProtectClock"), "ProtectClock implies a device allow-list that hides the GPU");
        Assert.Equal("AF_UNIX AF_INET AF_INET6", One(s, "RestrictAddressFamilies")); // AF_UNIX: sd_notify
        Assert.Equal("native", One(s, "SystemCallArchitectures"));
        Assert.Equal("", One(s, "CapabilityBoundingSet"));
        Assert.True(int.Parse(One(s, "LimitNOFILE")) >= 4096);
    }

    [SkippableFact]
    public async Task SystemdAnalyzeVerifyIsClean()
    {
        string? analyze = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        Skip.If(analyze is null, "systemd-analyze is not installed (Debian's systemd package); the parsed checks above still hold");

        // verify checks that ExecStart= exists, so point it at a binary every machine has.
        string dir = Directory.CreateTempSubdirectory("rs-unit-").FullName;
        try
        {
            string copy = Path.Combine(dir, "resshift.service");
            File.WriteAllLines(copy, File.ReadLines(UnitPath)
                .Select(l => l.StartsWith("ExecStart=", StringComparison.Ordinal) ? "ExecStart=/bin/true serve" : l));

            var psi = new ProcessStartInfo(analyze, ["verify", copy]) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["SYSTEMD_LOG_COLOR"] = "0";
            using var p = Process.Start(psi)!;
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await p.WaitForExitAsync(cts.Token); // throws if verify hangs
            string output = await stdout + await stderr;

            Assert.True(p.ExitCode == 0, output);
            // verify only warns (exit 0) about unknown keys and bad values, so read what it said.
            string[] complaints = output.Split('\n')
                .Where(l => l.Contains(copy, StringComparison.Ordinal) || l.Contains("resshift.service", StringComparison.Ordinal))
                .ToArray();
            Assert.True(complaints.Length == 0, string.Join('\n', complaints));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
