using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ResShift.Engines.Abstractions;
using ResShift.Engines.Null;
using ResShift.Pipeline.Benchmarking;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Models;
using ResShift.Daemon.Backends;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Cli;

/// <summary>
/// <c>resshift bench</c>: engine-only tiles/s, the same work through the full pipeline, and the pipeline
/// on a null engine, so the pipeline's own overhead is visible next to the engine's time.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model id", DefaultValueFactory = _ => "tiny-x4" };
        var engine = new Option<EngineKind>("--engine") { Description = "auto, cpu or tensorrt", DefaultValueFactory = _ => EngineKind.Auto };
        var batch = new Option<int>("--batch") { Description = "Tiles per engine call", DefaultValueFactory = _ => 4 };
        var batches = new Option<int>("--batches") { Description = "Measured engine-only batches", DefaultValueFactory = _ => 8 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured engine-only batches first", DefaultValueFactory = _ => ThroughputBenchmark.DefaultWarmupBatches };
        var threads = new Option<int>("--threads") { Description = "CPU engine threads (0 = all cores)" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var engineOnlyFlag = new Option<bool>("--engine-only") { Description = "Measure only the engine-only figure (skip the pipeline and null-engine runs; for large models)" };
        var concurrency = new Option<int>("--engine-concurrency")
        {
            Description = "Batches in flight at once (engine-only loops and the pipeline's engine loops); 0 = the engine's slot count",
            DefaultValueFactory = _ => 0,
        };
        var dir = CommonOptions.ModelsDir();
        var c = new Command("bench", "Measure throughput: tiles/s and output megapixels/s, per stage") { model, engine, batch, batches, warmup, threads, json, engineOnlyFlag, concurrency, dir };
        c.SetAction(async (parse, ct) =>
        {
            ModelManifest m = ModelRegistry.Discover(parse.GetValue(dir)).Get(parse.GetValue(model)!);
            if (m.IsBird)
            {
                // BIRD: UNet calls/s of one job alone, then of --batch jobs sharing the batcher (iterations = --batches).
                int nb = Math.Max(1, parse.GetValue(batch)), its = Math.Max(1, parse.GetValue(batches));
                using var unet = EngineSetFactory.CreateGraph(m, ResShift.Pipeline.Bird.BirdUNet.Graph, ResShift.Pipeline.Bird.BirdUNet.Signature(m),
                    parse.GetValue(engine), nb, parse.GetValue(threads));
                var birdOut = parse.InvocationConfiguration.Output;
                foreach (var (nJobs, mb) in new[] { (1, 1), (nb, nb) })
                {
                    var f = await ResShift.Pipeline.Bird.BirdBenchmark.RunAsync(unet, m, nJobs, mb, its, ct);
                    birdOut.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{m.Id}: {f.Jobs} job(s), batches of up to {f.MaxBatch}: {f.Calls} UNet calls in {f.Batches} engine batches, {f.Seconds:F2} s, {f.CallsPerSecond:F2} calls/s"));
                }
                return ExitCodes.Success;
            }
            int b = parse.GetValue(batch), n = parse.GetValue(batches);
            int w = parse.GetValue(warmup);
            if (b < 1 || n < 1) throw new ArgumentException("--batch and --batches must be >= 1");
            if (w < 0) throw new ArgumentException("--warmup must be >= 0");
            if (parse.GetValue(concurrency) < 0) throw new ArgumentException("--engine-concurrency must be >= 0 (0 = the engine's slot count)");
            var schedule = new DiffusionSchedule(m.ScheduleParameters);
            var loadClock = System.Diagnostics.Stopwatch.StartNew();
            using IEngineSet engines = EngineSetFactory.Create(m, parse.GetValue(engine), b, parse.GetValue(threads));
            double loadSeconds = loadClock.Elapsed.TotalSeconds;
            int inFlight = parse.GetValue(concurrency) > 0 ? parse.GetValue(concurrency) : engines.Slots;
            var options = new PipelineOptions { Model = m.Id, MaxBatch = b, Overlap = m.Tile.Lq / 4, MaxJobsInFlight = 8, EngineConcurrency = inFlight };
            // Enough jobs and tiles that the pipeline runs as many tiles as the engine-only figure.
            int jobs = 8, perSide = Math.Max(1, (int)Math.Ceiling(Math.Sqrt(b * n / (double)jobs)));

            var engineOnly = await ThroughputBenchmark.EngineOnlyAsync(engines, schedule, b, n, ct, w, inFlight);
            var o = parse.InvocationConfiguration.Output;
            if (parse.GetValue(engineOnlyFlag))
            {
                var brief = new Dictionary<string, object>
                {
                    ["model"] = m.Id, ["engine"] = engines.EngineName, ["precision"] = engines.Precision, ["batch"] = b,
                    ["engine_slots"] = engines.Slots, ["engine_concurrency"] = inFlight,
                    ["cores"] = Environment.ProcessorCount,
                    ["threads"] = parse.GetValue(threads) > 0 ? parse.GetValue(threads) : Environment.ProcessorCount,
                    ["warmup_batches"] = w, ["load_seconds"] = loadSeconds,
                    ["figures"] = new List<Dictionary<string, object>> { Describe(engineOnly) },
                };
                if (parse.GetValue(json))
                    o.WriteLine(JsonSerializer.Serialize(brief, new JsonSerializerOptions { WriteIndented = true }));
                else
                {
                    o.WriteLine($"model {m.Id}, engine {engines.EngineName} ({engines.Precision}), batch {b}, {inFlight} in flight of {engines.Slots} slots, {Environment.ProcessorCount} cores");
                    o.WriteLine(Line(engineOnly));
                }
                return ExitCodes.Success;
            }
            var pipeline = await ThroughputBenchmark.PipelineAsync("pipeline", engines, schedule, options, jobs, perSide, ct);
            using var nullEngine = new NullEngineSet(m.Geometry, b);
            var overhead = await ThroughputBenchmark.PipelineAsync("null_engine_pipeline", nullEngine, schedule, options, jobs, perSide, ct);

            double engineMsPerTile = 1000 / engineOnly.TilesPerSecond;
            double overheadMsPerTile = 1000 / overhead.TilesPerSecond;
            var report = new Dictionary<string, object>
            {
                ["model"] = m.Id, ["engine"] = engines.EngineName, ["precision"] = engines.Precision, ["batch"] = b,
                ["engine_slots"] = engines.Slots, ["engine_concurrency"] = inFlight,
                ["cores"] = Environment.ProcessorCount, ["warmup_batches"] = w,
                ["figures"] = new[] { engineOnly, pipeline, overhead }.Select(Describe).ToList(),
                ["pipeline_overhead_fraction"] = overheadMsPerTile / engineMsPerTile,
                ["pipeline_vs_engine_only"] = pipeline.TilesPerSecond / engineOnly.TilesPerSecond,
            };
            if (parse.GetValue(json))
                o.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            else
            {
                o.WriteLine($"model {m.Id}, engine {engines.EngineName} ({engines.Precision}), batch {b}, {inFlight} in flight of {engines.Slots} slots, {Environment.ProcessorCount} cores");
                foreach (var f in new[] { engineOnly, pipeline, overhead })
                    o.WriteLine(Line(f));
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"pipeline overhead: {overheadMsPerTile:F3} ms/tile = {100 * overheadMsPerTile / engineMsPerTile:F2} % of engine time; pipeline reaches {100 * pipeline.TilesPerSecond / engineOnly.TilesPerSecond:F1} % of engine-only tiles/s"));
            }
            return ExitCodes.Success;
        });
        return c;
    }

    private static string Line(ThroughputBenchmark.Figure f) => string.Create(CultureInfo.InvariantCulture,
        $"{f.Name,-22} {f.Tiles,5} tiles in {f.Seconds,8:F3} s: {f.TilesPerSecond,9:F2} tiles/s, {f.OutputMegapixelsPerSecond,8:F3} output MP/s  [{string.Join(", ", f.StageMsPerTile.Select(s => $"{s.Key} {s.Value:F2} ms"))} per tile]");

    private static Dictionary<string, object> Describe(ThroughputBenchmark.Figure f) => new()
    {
        ["name"] = f.Name, ["tiles"] = f.Tiles, ["seconds"] = f.Seconds, ["tiles_per_s"] = f.TilesPerSecond,
        ["output_megapixels_per_s"] = f.OutputMegapixelsPerSecond, ["stage_ms_per_tile"] = f.StageMsPerTile,
    };
}
