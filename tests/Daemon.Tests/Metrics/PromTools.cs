using System.Collections.Concurrent;
using System.Diagnostics;

namespace ResShift.Daemon.Tests.Metrics;

/// <summary>The real promtool/prometheus binaries (Debian package, installed by scripts/prometheus-tools.sh via make setup).</summary>
internal static class PromTools
{
    public static string Promtool => Find("promtool");
    public static string Prometheus => Find("prometheus");

    /// <summary>Fails (never skips): these checks are the point of the tests that call this.</summary>
    private static string Find(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin");
        foreach (var d in dirs)
        {
            string p = Path.Combine(d, name);
            if (File.Exists(p)) return p;
        }
        Assert.Fail($"{name} not found on PATH or in /usr/bin. Install it with scripts/prometheus-tools.sh (make setup runs it): " +
                    "it installs Debian's prometheus package, which ships both prometheus and promtool.");
        return "";
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string All => (Stdout + Stderr).Trim();
    }

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(file)} {string.Join(' ', psi.ArgumentList)} did not finish in {timeout ?? TimeSpan.FromSeconds(30)}");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }
}

/// <summary>A prometheus server owned by one test: its own config, TSDB dir and loopback port; killed and removed on dispose.</summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private PrometheusServer(Process process, string dir, int port)
    {
        _process = process;
        Dir = dir;
        Port = port;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Dir { get; }
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    public bool HasExited => _process.HasExited;
    public string LogTail => string.Join('\n', _log);

    /// <summary>Starts prometheus scraping <paramref name="target"/> (host:port) every second.</summary>
    public static PrometheusServer Start(string target)
    {
        string dir = Path.Combine(Path.GetTempPath(), "resshift-tests", "prometheus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        File.WriteAllText(Path.Combine(dir, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: resshift
                static_configs:
                  - targets: ["{target}"]
            """);
        int port = FreePort();
        var psi = new ProcessStartInfo(PromTools.Prometheus)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        psi.ArgumentList.Add($"--config.file={Path.Combine(dir, "prometheus.yml")}");
        psi.ArgumentList.Add($"--storage.tsdb.path={Path.Combine(dir, "data")}");
        psi.ArgumentList.Add($"--web.listen-address=127.0.0.1:{port}");
        psi.ArgumentList.Add("--log.level=warn");
        try
        {
            return new PrometheusServer(Process.Start(psi)!, dir, port);
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        finally
        {
            _process.Dispose();
            try { Directory.Delete(Dir, recursive: true); } catch (IOException) { /* a straggling TSDB file; temp dir */ }
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _log.Enqueue(line);
        while (_log.Count > 40) _log.TryDequeue(out _);
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
