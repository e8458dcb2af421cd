using Microsoft.Extensions.Logging;
using ResShift.Pipeline.Jobs;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Processing;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Backends;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// One watch root as the parts of its intake see it: the folders, the root's settings and model, the log every part
/// writes to (one category, the intake's), and the counts of jobs it ended.
/// </summary>
internal sealed class WatchRoot(WatchSettings settings, ModelPipeline model, long maxPixels, ILogger log)
{
    private long _completed, _failed;

    public WatchLayout Layout { get; } = new(settings.Root);
    public WatchSettings Settings => settings;
    public ModelPipeline Model => model;
    public JobFactory Jobs { get; } = new(maxPixels, log);
    public ILogger Log => log;

    /// <summary>The root's path, for messages.</summary>
    public string Path => Layout.Root;

    /// <summary>An inpainting model: NAME.mask.png travels with NAME.ext through every folder.</summary>
    public bool Masks { get; } = !model.IsBird && model.Model.InputContract.Mask;

    /// <summary>The model's options with this root's seed, noise scale, overlap and blend.</summary>
    public JobSettings Effective { get; } = model.Options.Resolve(new JobSettings
    {
        Seed = settings.Seed, NoiseScale = settings.NoiseScale, Overlap = settings.Overlap, Blend = settings.Blend,
    });

    /// <summary>This root's video settings over the daemon's defaults (set once, before the intake runs).</summary>
    public Configuration.VideoSettings Video { get; set; } = settings.Video ?? new();

    /// <summary>This root's place in the configuration's Watch list (the label of its metrics).</summary>
    public int Index { get; set; }

    /// <summary>The root's own state files (leases, claim markers) that were not believed, reported once each.</summary>
    public IgnoredState Ignored => _ignored ??= new IgnoredState(Path, () => Index, log);
    private IgnoredState? _ignored;

    public long Completed => Interlocked.Read(ref _completed);
    public long Failed => Interlocked.Read(ref _failed);
    public void CountCompleted() => Interlocked.Increment(ref _completed);
    public void CountFailed() => Interlocked.Increment(ref _failed);
}
