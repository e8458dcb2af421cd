using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using ResShift.Daemon.Tests.Restore;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>The real `resshift serve` executable in its own process, with its log captured to a file.</summary>
internal sealed partial class DaemonProcess : IDisposable
{
    private readonly Process _process;
    public string LogPath { get; }
    public int Pid => _process.Id;
    public int HttpPort { get; }

    private DaemonProcess(Process p, string log, int port)
    {
        _process = p;
        LogPath = log;
        HttpPort = port;
    }

    public static string Executable()
    {
        string root = Repo.Root();
        foreach (string config in new[] { "Release", "Debug" })
        {
            string path = Path.Combine(root, "src", "Daemon", "bin", config, "net10.0", "resshift");
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException("build the daemon first (make build): src/Daemon/bin/*/net10.0/resshift");
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Writes a config with the given watch roots and starts the daemon on it.</summary>
    public static DaemonProcess Start(string workDir, IEnumerable<object> watch, int maxJobsInFlight = 4, int drainSeconds = 60, long maxPixels = 50_000_000, int? httpPort = null,
        IEnumerable<object>? rabbitMq = null, int? threads = null, string configName = "resshift.json",
        IReadOnlyDictionary<string, string>? environment = null, IEnumerable<string>? arguments = null, int stallSeconds = 300,
        IReadOnlyList<string>? prefix = null, StagedDaemon? staged = null)
    {
        int port = httpPort ?? FreePort();
        string config = Path.Combine(workDir, configName);
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            Http = $"127.0.0.1:{port}",
            ModelsDir = staged?.ModelsDir ?? Repo.Engines,
            Engine = "Cpu",
            Threads = threads ?? Environment.ProcessorCount,
            MaxBatch = 4,
            MaxJobsInFlight = maxJobsInFlight,
            DrainSeconds = drainSeconds,
            MaxPixels = maxPixels,
            StallSeconds = stallSeconds,
            Watch = watch,
            RabbitMq = rabbitMq ?? [],
        }));
        string log = Path.Combine(workDir, $"daemon-{DateTime.UtcNow.Ticks}.log");
        // prefix: a command the daemon runs under (e.g. setpriv to another user); staged: the daemon copied where that user can reach it.
        string[] command = [.. prefix ?? [], staged?.Executable ?? Executable(), "serve", "--config", config, .. arguments ?? []];
        var psi = new ProcessStartInfo(command[0], command[1..])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        var writer = new StreamWriter(log) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new DaemonProcess(p, log, port);
    }

    public static object Root(string root, double settle = 0.2, int pollMs = 100, double? noiseScale = null) =>
        new { Root = root, Model = "tiny-x4", SettleSeconds = settle, PollMilliseconds = pollMs, NoiseScale = noiseScale };

    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Log()
    {
        try
        {
            using var s = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(s).ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    public void KillHard()
    {
        _ = Kill(_process.Id, 9);
        _process.WaitForExit(10_000);
    }

    public bool Terminate(TimeSpan wait)
    {
        _ = Kill(_process.Id, 15);
        if (!_process.WaitForExit(wait)) return false;
        _process.WaitForExit(); // it has exited: this also waits until its redirected output is read to the end
        return true;
    }

    public long ResidentBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    public void Dispose()
    {
        if (!_process.HasExited) KillHard();
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
