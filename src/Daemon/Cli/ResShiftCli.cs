using System.CommandLine;

namespace ResShift.Daemon.Cli;

/// <summary>The `resshift` command tree. Usage errors exit 2; failures print one clear line and exit 1.</summary>
public static class ResShiftCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("ResShift Pipeline: diffusion image restoration at scale");
        root.Subcommands.Add(ScheduleCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(RestoreCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(SubmitCommand.Create());
        root.Subcommands.Add(EnginesCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        ParseResult parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) error.WriteLine($"resshift: {e.Message}");
            error.WriteLine("Try 'resshift --help'.");
            return ExitCodes.Usage;
        }
        try
        {
            // System.CommandLine force-exits (143) ProcessTerminationTimeout after SIGTERM. `serve` drains for as long
            // as its drain budget allows and handles the signals itself; other commands get time to clean up.
            bool serve = parse.CommandResult.Command.Name == "serve";
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = output, Error = error, EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = serve ? null : TimeSpan.FromSeconds(15),
            });
        }
        catch (Exception e) when (e is KeyNotFoundException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException or InvalidOperationException or NotSupportedException or Engines.OnnxRuntime.OnnxRuntimeException or Engines.OnnxRuntime.ModelContractException or DllNotFoundException or IOException or ResShift.Pipeline.Imaging.ImageDecodeException or ResShift.Pipeline.Imaging.ImageEncodeException or RabbitMQ.Client.Exceptions.RabbitMQClientException)
        {
            error.WriteLine($"resshift: {e.Message}");
            return e is KeyNotFoundException or ArgumentException or Engines.TensorRt.TensorRtUnavailableException ? ExitCodes.Usage : ExitCodes.SomeFailed;
        }
    }
}
