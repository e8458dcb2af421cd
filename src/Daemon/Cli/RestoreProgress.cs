using System.Globalization;
using Spectre.Console;

namespace ResShift.Daemon.Cli;

/// <summary>A progress bar on a terminal; one plain line per file otherwise (logs, pipes, CI).</summary>
public sealed class RestoreProgress(TextWriter output, int total)
{
    public delegate void Report(string name, string outputPath, string? error, double seconds);

    public async Task<int> RunAsync(Func<Report, Task<int>> work)
    {
        bool interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive)
        {
            int done = 0;
            return await work((name, path, error, seconds) =>
            {
                done++;
                output.WriteLine(error is null
                    ? string.Create(CultureInfo.InvariantCulture, $"[{done}/{total}] ok     {name} -> {path} ({seconds:F2} s)")
                    : $"[{done}/{total}] FAILED {name}: {error}");
            });
        }
        int failures = 0;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("restoring", maxValue: Math.Max(1, total));
                failures = await work((name, path, error, seconds) =>
                {
                    task.Increment(1);
                    task.Description = Markup.Escape(name);
                    if (error is not null) AnsiConsole.MarkupLine($"[red]FAILED[/] {Markup.Escape(name)}: {Markup.Escape(error)}");
                });
            });
        return failures;
    }
}
