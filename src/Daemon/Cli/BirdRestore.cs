using System.CommandLine;
using System.Globalization;
using ResShift.Daemon.Backends;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Bird;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Models;

namespace ResShift.Daemon.Cli;

/// <summary>The restore options that only BIRD models take.</summary>
public sealed class BirdRestoreOptions
{
    public Option<string?> Task { get; } = new("--task") { Description = "BIRD models: " + string.Join("|", BirdTaskNames.All) };
    public Option<string?> Mask { get; } = new("--mask")
    {
        Description = "Inpainting. BIRD inpaint: mask image, white = known pixels, black = to fill. ResShift inpainting models: " +
                      "white = the area to fill (the reference's convention), one file for one image or a folder of masks named like the images; default NAME.mask.png next to each image",
    };
    public Option<int?> Iterations { get; } = new("--iterations") { Description = "BIRD: optimisation iterations (default: the task's released count)" };
    public Option<int> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "BIRD: checkpoint z, Adam and the kernel network every K iterations (0 = never)", DefaultValueFactory = _ => 10 };

    public void AddTo(Command c)
    {
        c.Add(Task);
        c.Add(Mask);
        c.Add(Iterations);
        c.Add(CheckpointEvery);
    }

    public void RefuseFor(ParseResult parse, ModelManifest m)
    {
        if (parse.GetValue(Task) is not null || (parse.GetValue(Mask) is not null && m.Input?.Mask != true) || parse.GetValue(Iterations) is not null)
            throw new ArgumentException($"--task, --mask and --iterations apply to BIRD models; '{m.Id}' is a {m.Kind} model");
    }
}

/// <summary>
/// <c>resshift restore IMG... --model bird-… --task T</c>: every input is one BIRD job; all jobs run at once and
/// share one UNet batcher, so their ε calls are batched together. Progress advances per iteration.
/// </summary>
public static class BirdRestore
{
    public static async Task<int> RunAsync(ParseResult parse, ModelManifest m, BirdRestoreOptions o, string[] inputs, string output,
        ulong seed, int batch, int threads, long maxPixels, CancellationToken ct)
    {
        string? taskName = parse.GetValue(o.Task) ?? throw new ArgumentException($"model '{m.Id}' is a BIRD model: give --task {string.Join("|", BirdTaskNames.All)}");
        var settings = new BirdJobSettings
        {
            Task = BirdTaskNames.Parse(taskName),
            MaskPath = parse.GetValue(o.Mask),
            Iterations = parse.GetValue(o.Iterations),
            Seed = seed,
            CheckpointEvery = parse.GetValue(o.CheckpointEvery),
        };
        settings.Validate();
        if (!m.HasGraphs) throw new ArgumentException($"model '{m.Id}' has no exported UNet yet: run make models MODEL={m.Id}");
        ModelFileCheck.EnsureIntact(m);

        IReadOnlyList<InputItem> items = InputDiscovery.Expand(inputs);
        if (items.Count == 0) throw new ArgumentException("no image files found in the inputs");
        string outRoot = Path.GetFullPath(output);
        bool singleFile = items.Count == 1 && !Directory.Exists(outRoot) && ImageFormats.FromPath(outRoot) is not null;
        var decoder = new ImageDecoder(new ImageDecoderOptions { MaxPixels = maxPixels });
        var encoder = new ImageEncoder();
        TextWriter w = parse.InvocationConfiguration.Output;
        var progress = new RestoreProgress(w, items.Count, "iterations");
        int total = settings.IterationsOrDefault;
        var jobs = items.Select(item => new BirdRestoreJob(item.Path, singleFile ? outRoot : Path.Combine(outRoot, item.RelativeOutput), m, settings, decoder, encoder)
        {
            CheckpointIgnored = reason => w.WriteLine($"  {Path.GetFileName(item.Path)}: {reason}"),
            IterationDone = (it, n, loss) =>
            {
                progress.TileDone();
                if (it % 10 == 0 || it == n)
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Path.GetFileName(item.Path)}: iteration {it}/{n} loss {loss:E4}"));
            },
        }).ToList();
        foreach (var _ in jobs) progress.Planned(total);

        using IBatchedGraph engine = EngineSetFactory.CreateGraph(m, BirdUNet.Graph, BirdUNet.Signature(m), EngineKind.Cpu, Math.Max(1, batch), threads);
        await using var batcher = new UNetBatcher(engine, Math.Max(1, batch), TimeSpan.FromMilliseconds(2));
        int failed = await progress.RunAsync(async report =>
        {
            var running = jobs.Select(j => (Job: j, Task: Task.Run(() => j.RunAsync(batcher, ct), ct))).ToList();
            int failures = 0;
            var started = DateTime.UtcNow;
            foreach (var (job, task) in running)
            {
                try
                {
                    BirdJobResult r = await task;
                    report(Path.GetFileName(job.InputPath), job.OutputPath, null, (DateTime.UtcNow - started).TotalSeconds);
                    if (r.KernelPath is not null) w.WriteLine($"  kernel: {r.KernelPath}");
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    failures++;
                    report(Path.GetFileName(job.InputPath), job.OutputPath, e.Message, 0);
                }
            }
            return failures;
        });
        var (calls, batches) = batcher.Counts;
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{jobs.Count - failed} restored, {failed} failed (model {m.Id}, task {settings.Task.Name()}, {total} iterations, {calls} UNet calls in {batches} batches, licence {m.Licence.Name ?? m.Licence.Id})"));
        return failed == 0 ? ExitCodes.Success : ExitCodes.SomeFailed;
    }
}
