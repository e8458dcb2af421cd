using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Inputs;
using ResShift.Daemon.Inputs.Folders;
using ResShift.Daemon.Inputs.RabbitMq;
using ResShift.Daemon.Metrics;
using ResShift.Daemon.Systemd;
using ResShift.Pipeline.Models;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Backends;

namespace ResShift.Daemon.Serve;

/// <summary>
/// The daemon's life: load every model the inputs need (one pipeline per model, shared by all its inputs),
/// start the inputs, and on SIGTERM drain: readiness goes false, intake stops, unstarted claims go back to
/// inbox, in-flight jobs get the drain budget, and whatever is still running after it is handed back too.
/// </summary>
public sealed class ServeService(ServeSettings settings, ModelRegistry registry, ServiceState state, PrometheusExporter exporter,
    SystemdNotifier notifier, ILoggerFactory loggers) : IHostedService
{
    private readonly ILogger log = loggers.CreateLogger<ServeService>();
    private readonly LoadedEngines _engines = new(exporter.Engines);
    private WatchdogHeartbeat? _heartbeat;
    private readonly List<ModelPipeline> _pipelines = [];
    private readonly List<IIntake> _intakes = [];
    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stopIntake = new();

    public IReadOnlyList<IIntake> Intakes => _intakes;

    public event Action? Progress;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var byModel = new Dictionary<string, ModelPipeline>(StringComparer.Ordinal);
        notifier.Status("loading models");
        try
        {
            using var extend = notifier.ExtendTimeoutWhile(TimeSpan.FromSeconds(30)); // warm-ups can outlast TimeoutStartSec
            ModelPipeline Pipeline(string id)
            {
                if (!byModel.TryGetValue(id, out ModelPipeline? mp))
                {
                    ModelManifest m = registry.Get(id);
                    log.LogInformation("loading model {Model} ({Licence}) with engine {Engine}", m.Id, m.Licence.Name ?? m.Licence.Id, settings.Engine);
                    mp = ModelPipeline.Open(m, settings);
                    byModel[id] = mp;
                    _pipelines.Add(mp);
                    if (mp.IsBird)
                    {
                        log.LogInformation("model {Model}: BIRD UNet on onnxruntime cpu, batches of {Batch}", m.Id, mp.Bird!.MaxBatch);
                        return mp;
                    }
                    log.LogInformation("model {Model}: {Engine} {Precision} on {Device}", m.Id, mp.Engines.EngineName, mp.Engines.Precision, mp.Engines.Device);
                    _engines.Add(m.Id, mp.Engines);
                }
                return mp;
            }
            // Each kind of intake is built here once; from then on they are all just IIntake.
            for (int i = 0; i < settings.Watch.Count; i++)
                _intakes.Add(new FolderIntake(settings.Watch[i], Pipeline(settings.Watch[i].Model), settings.MaxPixels, loggers.CreateLogger<FolderIntake>()) { Index = i, VideoDefaults = settings.Video });
            foreach (RabbitMqSettings q in settings.RabbitMq)
                _intakes.Add(new RabbitMqIntake(q, q.AllModels.ToDictionary(id => id, Pipeline, StringComparer.Ordinal), settings.MaxPixels,
                    loggers.CreateLogger<RabbitMqIntake>()));
            foreach (IIntake intake in _intakes) intake.Progress += () => Progress?.Invoke();
        }
        catch
        {
            foreach (ModelPipeline p in _pipelines) await p.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        state.Loaded(_pipelines, _intakes);
        _heartbeat = new WatchdogHeartbeat(notifier, WatchdogSettings.FromEnvironment(), () => state.HasPendingWork,
            TimeSpan.FromSeconds(settings.StallSeconds), logger: loggers.CreateLogger<WatchdogHeartbeat>());
        foreach (ModelPipeline p in _pipelines.Where(p => !p.IsBird)) p.Pipeline.Progressed += _heartbeat.Progress;
        Progress += () =>
        {
            _heartbeat.Progress();
            notifier.Status(StatusLine());
        };
        foreach (IIntake intake in _intakes)
            _running.Add(Task.Run(() => intake.RunAsync(_stopIntake.Token), CancellationToken.None));
        _heartbeat.Start();
        notifier.Ready();
        notifier.Status(StatusLine());
    }

    private string StatusLine() =>
        $"serving {string.Join(", ", _intakes.GroupBy(i => i.Describe.Split(':')[0]).Select(g => $"{g.Count()} {g.Key}"))}: "
        + $"{_intakes.Sum(i => i.Completed)} restored, {_intakes.Sum(i => i.Failed)} failed, {_intakes.Sum(i => i.Claimed)} in work";

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        state.BeginDrain();
        notifier.Stopping();
        notifier.Status("draining: " + StatusLine());
        log.LogInformation("draining: intake stopped; in-flight jobs have {Budget} s", settings.DrainSeconds);
        _stopIntake.Cancel();
        await Task.WhenAll(_running).ConfigureAwait(false);
        foreach (IIntake i in _intakes) i.ReturnUnstarted();
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(settings.DrainSeconds));
        try
        {
            await Task.WhenAll(_intakes.Select(i => i.WaitIdleAsync(budget.Token))).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            log.LogWarning("drain budget of {Budget} s spent: handing the remaining jobs back", settings.DrainSeconds);
            foreach (IIntake i in _intakes) i.CancelAll();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await Task.WhenAll(_intakes.Select(i => i.WaitIdleAsync(grace.Token))).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                log.LogError("some jobs did not stop; they stay in processing/ (or unacked) and are resumed at the next start");
            }
        }
        // Only now: the drained jobs above were acked or requeued on the queues' connections.
        foreach (IIntake i in _intakes) await i.DisposeAsync().ConfigureAwait(false);
        if (_heartbeat is not null) await _heartbeat.StopAsync().ConfigureAwait(false);
        _engines.Dispose();
        foreach (ModelPipeline p in _pipelines) await p.DisposeAsync().ConfigureAwait(false);
        log.LogInformation("stopped: {Done} restored, {Failed} failed since start", _intakes.Sum(i => i.Completed), _intakes.Sum(i => i.Failed));
    }
}
