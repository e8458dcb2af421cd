using System.Diagnostics;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Configuration;

/// <summary>One `resshift serve` run that is expected to end by itself (a refused configuration): exit code and stderr.</summary>
internal static class ServeRun
{
    public static (int ExitCode, string Error) Run(string config, IReadOnlyDictionary<string, string>? environment = null, string[]? prefix = null, string? executable = null)
    {
        string[] args = ["serve", "--config", config];
        executable ??= DaemonProcess.Executable();
        var psi = prefix is null
            ? new ProcessStartInfo(executable, args)
            : new ProcessStartInfo(prefix[0], [.. prefix[1..], executable, .. args]);
        psi.RedirectStandardError = true;
        psi.RedirectStandardOutput = true;
        psi.UseShellExecute = false;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("serve did not exit within 60 s on a configuration it should refuse: " + output.Result + error.Result);
        }
        return (p.ExitCode, error.Result + output.Result);
    }
}
