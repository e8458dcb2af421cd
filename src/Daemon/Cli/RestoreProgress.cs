using System.Globalization;
using Spectre.Console;

namespace ResShift.Daemon.Cli;

/// <summary>
/// A progress bar on a terminal, advancing per tile (one large scan is hundreds of tiles on a CPU);
/// one plain line per file otherwise (logs, pipes, CI).
/// </summary>
public sealed class RestoreProgress(TextWriter output, int files, string unit = "tiles")
{
    public delegate void Report(string name, string outputPath, string? error, double seconds);

    private int _plannedTiles, _plannedJobs, _tilesDone, _filesDone;

    /// <summary>A job was cut into <paramref name="tiles"/> tiles.</summary>
    public void Planned(int tiles)
    {
        Interlocked.Add(ref _plannedTiles, tiles);
        Interlocked.Increment(ref _plannedJobs);
    }

    public void TileDone() => Interlocked.Increment(ref _tilesDone);

    // Unplanned files count as one tile each until decoded, so the bar never runs backwards by much.
    private double Total => Volatile.Read(ref _plannedTiles) + Math.Max(0, files - Volatile.Read(ref _plannedJobs));

    public async Task<int> RunAsync(Func<Report, Task<int>> work)
    {
        bool interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive)
        {
            return await work((name, path, error, seconds) =>
            {
                int done = Interlocked.Increment(ref _filesDone);
                output.WriteLine(error is null
                    ? string.Create(CultureInfo.InvariantCulture, $"[{done}/{files}] ok     {name} -> {path} ({seconds:F2} s)")
                    : $"[{done}/{files}] FAILED {name}: {error}");
            });
        }
        int failures = 0;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("restoring", maxValue: Math.Max(1, Total));
                using var timer = new Timer(_ =>
                {
                    task.MaxValue = Math.Max(1, Total);
                    task.Value = Math.Min(task.MaxValue, Volatile.Read(ref _tilesDone));
                    task.Description = $"{Volatile.Read(ref _filesDone)}/{files} files, {Volatile.Read(ref _tilesDone)}/{(int)Total} {unit}";
                }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
                failures = await work((name, path, error, seconds) =>
                {
                    Interlocked.Increment(ref _filesDone);
                    if (error is not null) AnsiConsole.MarkupLine($"[red]FAILED[/] {Markup.Escape(name)}: {Markup.Escape(error)}");
                });
                task.MaxValue = Math.Max(1, Total);
                task.Value = task.MaxValue;
                task.Description = $"{files}/{files} files";
            });
        return failures;
    }
}
