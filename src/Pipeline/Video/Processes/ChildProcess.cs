using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace ResShift.Pipeline.Video.Processes;

/// <summary>
/// One external tool run as a child process: arguments as a list (no shell), stdin/stdout as streams, stderr
/// kept (its last 64 KiB) for the error, killed with its whole process tree when the job is cancelled or the
/// object disposed before it exited, so no child outlives its job.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private const int StderrLimit = 64 * 1024;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private readonly CancellationTokenRegistration _onCancel;
    private int _disposed;

    private ChildProcess(Process process, CancellationToken cancellationToken)
    {
        _process = process;
        Name = Path.GetFileName(process.StartInfo.FileName);
        CommandLine = Quote(process.StartInfo.FileName, process.StartInfo.ArgumentList);
        _stderrPump = Task.Run(PumpStderrAsync);
        _onCancel = cancellationToken.Register(Kill);
    }

    public string Name { get; }

    /// <summary>The command line as a shell would need it quoted: for provenance and errors, never executed.</summary>
    public string CommandLine { get; }

    public Stream StandardInput => _process.StandardInput.BaseStream;
    public Stream StandardOutput => _process.StandardOutput.BaseStream;
    public int Id => _process.Id;

    /// <summary>Starts <paramref name="file"/>; a missing executable is a <see cref="ToolNotFoundException"/>.</summary>
    public static ChildProcess Start(string file, IEnumerable<string> arguments, CancellationToken cancellationToken, bool redirectInput = false)
    {
        var info = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in arguments) info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new ToolNotFoundException(file, e);
        }
        return new ChildProcess(process, cancellationToken);
    }

    /// <summary>The last 64 KiB of stderr so far (complete once the process has exited and been waited for).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    /// <summary>Waits for exit; a non-zero status throws with stderr's last lines.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await _stderrPump.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (_process.ExitCode != 0)
            throw new ToolFailedException(Name, _process.ExitCode, Tail(Stderr, 12), CommandLine);
    }

    /// <summary>Runs a tool to the end and returns its stdout as text (ffprobe).</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        (await RunWithStderrAsync(file, arguments, cancellationToken).ConfigureAwait(false)).Stdout;

    /// <summary>Runs a tool to the end; its stdout and what it said on stderr though it succeeded (damage reports).</summary>
    public static async Task<(string Stdout, string Stderr)> RunWithStderrAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        using ChildProcess p = Start(file, arguments, cancellationToken);
        using var reader = new StreamReader(p.StandardOutput, Encoding.UTF8);
        string text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await p.WaitAsync(cancellationToken).ConfigureAwait(false);
        return (text, p.Stderr);
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        try
        {
            int n;
            while ((n = await _process.StandardError.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (_stderr)
                {
                    _stderr.Append(buffer, 0, n);
                    if (_stderr.Length > StderrLimit) _stderr.Remove(0, _stderr.Length - StderrLimit);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _onCancel.Dispose();
        Kill();
        try
        {
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    internal static string Tail(string text, int lines)
    {
        string[] all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", all.Skip(Math.Max(0, all.Length - lines)));
    }

    private static string Quote(string file, IEnumerable<string> args) =>
        string.Join(' ', new[] { file }.Concat(args).Select(a =>
            a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./:=+,@%".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'"));
}

/// <summary>A tool exited with a non-zero status.</summary>
public sealed class ToolFailedException(string tool, int exitCode, string stderr, string commandLine)
    : Exception($"{tool} exited with status {exitCode}: {(stderr.Length > 0 ? stderr : "(no message)")}")
{
    public string Tool { get; } = tool;
    public int ExitCode { get; } = exitCode;
    public string StandardError { get; } = stderr;
    public string CommandLine { get; } = commandLine;
}

/// <summary>The executable is not installed (or not on PATH).</summary>
public sealed class ToolNotFoundException(string tool, Exception inner)
    : Exception($"{tool} not found: install Debian's ffmpeg package (scripts/setup.sh does) or put it on PATH", inner)
{
    public string Tool { get; } = tool;
}
