using System.CommandLine;
using System.Globalization;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Models;
using ResShift.Daemon.Backends;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Inputs;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tiling;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Processes;
using Spectre.Console;

namespace ResShift.Daemon.Cli;

/// <summary><c>resshift restore IN... -o OUT</c>: one-shot restoration on the same pipeline the daemon runs.</summary>
public static class RestoreCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Image or video files, or folders (walked recursively)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Output folder (or a file name when restoring one file)", Required = true };
        var model = new Option<string?>("--model") { Description = "Model id (default: the best real SR model present, realsr v3 first; see 'resshift models list')" };
        var engine = new Option<EngineKind>("--engine") { Description = "auto, cpu or tensorrt", DefaultValueFactory = _ => EngineKind.Auto };
        var tile = new Option<int?>("--tile") { Description = "LQ tile size; must be one the model was exported for" };
        var overlap = new Option<int?>("--overlap") { Description = "Overlap between tiles in LQ pixels (default: tile/4)" };
        var batch = new Option<int>("--batch") { Description = "Tiles per engine call", DefaultValueFactory = _ => 4 };
        var seed = new Option<ulong>("--seed") { Description = "Noise seed", DefaultValueFactory = _ => 0UL };
        var noiseScale = new Option<double>("--noise-scale") { Description = "0 = deterministic posterior mean, 1 = the model's sampling noise", DefaultValueFactory = _ => 1.0 };
        var blend = new Option<BlendMode>("--blend") { Description = "feather (default) or average (as the reference)", DefaultValueFactory = _ => BlendMode.Feather };
        var skip = new Option<bool>("--skip-existing") { Description = "Leave inputs whose output already exists" };
        var noSidecar = new Option<bool>("--no-sidecar") { Description = "Write no provenance sidecar (OUTPUT.resshift.json) beside image outputs" };
        var threads = new Option<int>("--threads") { Description = "CPU engine threads (0 = all cores)" };
        var maxPixels = new Option<long>("--max-pixels") { Description = "Refuse inputs larger than this many pixels", DefaultValueFactory = _ => 50_000_000L };
        var maxJobMemory = new Option<long>("--max-job-memory") { Description = "Bytes the jobs in flight may hold together; larger inputs are refused (0 = half the machine's memory)" };
        var dir = CommonOptions.ModelsDir();
        var bird = new BirdRestoreOptions();
        var fidelity = new FidelityOptions();
        var video = new VideoOptions();
        var c = new Command("restore", "Restore image and video files or folders")
            { inputs, output, model, engine, tile, overlap, batch, seed, noiseScale, blend, skip, noSidecar, threads, maxPixels, maxJobMemory, dir };
        bird.AddTo(c); // --mask is shared: BIRD inpaint and the ResShift inpainting models
        fidelity.AddTo(c);
        foreach (Option o in video.All) c.Options.Add(o);

        c.SetAction(async (parse, ct) =>
        {
            ModelRegistry registry = ModelRegistry.Discover(parse.GetValue(dir));
            ModelManifest m = parse.GetValue(model) is { } id ? registry.Get(id)
                : registry.DefaultModel() ?? throw new InvalidOperationException(
                    $"no real model is present in {registry.Root}: get one with 'make models MODEL=resshift-realsr-x4-v3' " +
                    "(offline: RESSHIFT_WEIGHTS=DIR with its two .pth files), or name one with --model " +
                    "('resshift models list' shows them; tiny-x4 is a demo with random weights whose output is noise)");
            if (JobKinds.ForModel(m) is JobKind.Bird) // every input of a BIRD model is a BIRD job
                return await BirdRestore.RunAsync(parse, m, bird, parse.GetValue(inputs)!, parse.GetValue(output)!, parse.GetValue(seed),
                    parse.GetValue(batch), parse.GetValue(threads), parse.GetValue(maxPixels), ct);
            string? maskArg = parse.GetValue(bird.Mask);
            if (maskArg is not null && m.Input?.Mask != true)
                throw new ArgumentException($"--mask is for inpainting models; '{m.Id}' is a {m.Task} model and takes no mask");
            bird.RefuseFor(parse, m);
            int? t = parse.GetValue(tile);
            if (t is not null && t != m.Tile.Lq)
                throw new ArgumentException($"model '{m.Id}' was exported for {m.Tile.Lq}×{m.Tile.Lq} LQ tiles; --tile {t} is not available");
            FidelityThreshold threshold = fidelity.Threshold(parse);
            var options = new PipelineOptions
            {
                Model = m.Id,
                Overlap = parse.GetValue(overlap) ?? m.Tile.Lq / 4,
                MaxBatch = parse.GetValue(batch),
                Seed = parse.GetValue(seed),
                NoiseScale = parse.GetValue(noiseScale),
                Blend = parse.GetValue(blend),
                MaxJobMemoryBytes = parse.GetValue(maxJobMemory),
                Input = m.InputContract,
            };
            options.Validate(m.Tile.Lq);

            IReadOnlyList<InputItem> items = InputDiscovery.Expand(parse.GetValue(inputs)!);
            if (items.Count == 0) throw new ArgumentException("no image or video files found in the inputs");
            var masks = new MaskLookup(maskArg, items.Count);
            string outRoot = Path.GetFullPath(parse.GetValue(output)!);
            // One input to a file name: an image's, or a video container's (the container then decides the extension).
            bool singleFile = items.Count == 1 && !Directory.Exists(outRoot)
                && (ImageFormats.FromPath(outRoot) is not null || VideoTarget.IsContainerName(outRoot));
            // Decided by probing, not by extension alone: anything that is not an image by name and in which
            // ffprobe finds a video stream is a video; a video-named file ffprobe cannot read fails as a video, naming why.
            var effective = new JobSettings { Seed = options.Seed, NoiseScale = options.NoiseScale, Overlap = options.Overlap, Blend = options.Blend };
            var videoOptions = video.Build(parse, m.Id, effective);
            ContainerMode containerMode = video.Mode(parse);
            VideoSettings videoSettings = video.Settings(parse);
            var videos = new List<(VideoRestoreJob Job, VideoTarget Target)>();
            var runOutputs = new RunOutputs();
            // Images go through the daemon's job path (JobFactory): the same limits, the same atomic writes, the same sidecar.
            var factory = new JobFactory(parse.GetValue(maxPixels));
            using var folders = new CliFolders();
            var schedule = new DiffusionSchedule(m.ScheduleParameters);
            using IEngineSet engines = EngineSetFactory.Create(m, parse.GetValue(engine), options.MaxBatch, parse.GetValue(threads));
            var jobs = new List<FileRestoreJob>();
            var progress = new RestoreProgress(parse.InvocationConfiguration.Output, items.Count);
            int skipped = 0;
            foreach (InputItem item in items)
            {
                if (await JobKinds.DecideAsync(m, item.Path, ct) == JobKind.Video)
                {
                    var videoTarget = new VideoTarget(singleFile ? outRoot : Path.Combine(outRoot, VideoFiles.OutputName(item.RelativeOutput)), item.Path, containerMode, runOutputs);
                    if (parse.GetValue(skip) && videoTarget.Exists())
                    {
                        skipped++;
                        continue;
                    }
                    videos.Add((new VideoRestoreJob(item.Path, videoTarget.JobOutput, item.RelativeOutput, videoOptions)
                    {
                        Progress = new VideoProgress { OnTilesPlanned = tiles => progress.Planned(tiles), OnTileDone = () => progress.TileDone() },
                    }, videoTarget));
                    continue;
                }
                string target = singleFile ? outRoot : Path.Combine(outRoot, item.RelativeOutput);
                if (parse.GetValue(skip) && File.Exists(target))
                {
                    skipped++;
                    continue;
                }
                jobs.Add(factory.Create(m, engines.EngineName, engines.Precision, effective, folders.Files(item.Path, target, factory.MaxInputBytes),
                    item.RelativeOutput, "cli", Path.GetFileName, mask: m.Input?.Mask == true ? masks.For(item) : null, sidecar: !parse.GetValue(noSidecar),
                    planned: tiles => progress.Planned(tiles), tileDone: () => progress.TileDone()));
            }

            await using var pipeline = new RestorePipeline(engines, schedule, options);

            var drifted = new List<string>();
            var containerNotes = new List<string>();
            int failed = await progress.RunAsync(async report =>
            {
                var running = new List<(FileRestoreJob Job, Task<JobReport> Task)>();
                var runningVideos = videos.Select(v => (v.Job, v.Target, Task: Task.Run(async () =>
                {
                    VideoResult r = await v.Job.RunAsync(pipeline, engines.EngineName, engines.Precision, ct);
                    return (Result: r, Video: await v.Target.FinishAsync(r, v.Job.InputPath, videoSettings, ct));
                }, ct))).ToList();
                foreach (FileRestoreJob job in jobs)
                    running.Add((job, await pipeline.SubmitAsync(job, ct)));
                int failures = 0;
                foreach (var (job, target, task) in runningVideos)
                {
                    try
                    {
                        var (r, restored) = await task;
                        report(job.Name, restored.Path, null, r.Seconds);
                        containerNotes.AddRange(VideoTarget.Notes(job.Name, restored));
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        failures++;
                        target.Discard();
                        report(job.Name, job.OutputPath, e.Message, 0);
                    }
                }
                // Once every video is done: a staging folder removed while another video was creating its segments there would fail that video.
                foreach (var (_, target) in videos) target.RemoveStaging();
                foreach (var (job, task) in running)
                {
                    try
                    {
                        JobReport r = await task;
                        report(job.Name, job.OutputPath, null, r.TotalSeconds);
                        if (threshold.Shortfall(r.Fidelity) is string why) drifted.Add($"warning: {job.Name}: {why} (written to {job.OutputPath}; check it by eye)");
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        failures++;
                        report(job.Name, job.OutputPath, e.Message, 0);
                    }
                }
                return failures;
            });
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{jobs.Count + videos.Count - failed} restored, {failed} failed, {skipped} skipped (model {m.Id}, engine {engines.EngineName} {engines.Precision}, licence {m.Licence.Name ?? m.Licence.Id})"));
            foreach (string note in containerNotes) o.WriteLine(note);
            foreach (string warning in drifted) o.WriteLine(warning);
            if (drifted.Count > 0) o.WriteLine($"{drifted.Count} output(s) below the fidelity threshold");
            return failed > 0 ? ExitCodes.SomeFailed : drifted.Count > 0 ? ExitCodes.BelowFidelityThreshold : ExitCodes.Success;
        });
        return c;
    }
}
