using ResShift.Daemon.Cli;

namespace ResShift.Daemon.Tests.Cli;

/// <summary>Runs the CLI in-process and captures what it printed.</summary>
internal static class CliRun
{
    public static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = await ResShiftCli.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
