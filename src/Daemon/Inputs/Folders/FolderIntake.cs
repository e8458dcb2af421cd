using System.Text.Json;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Feeds one watch root into its model's pipeline. Claims files only while the pipeline has room, so a
/// backlog of any size waits in inbox (memory stays bounded and several daemons can share a root).
/// Crash safety: output and sidecar are written atomically before the original leaves processing/, and
/// whatever is in processing/ at start-up is resumed — finished ones (sidecar hash matches) are just
/// moved to done/, the rest are redone. On drain, claims that never started go back to inbox.
/// </summary>
public sealed class FolderIntake
{
    private readonly WatchLayout _layout;
    private readonly WatchSettings _settings;
    private readonly ModelPipeline _model;
    private readonly ImageDecoder _decoder;
    private readonly ImageEncoder _encoder = new();
    private readonly ILogger _log;
    private readonly InboxScanner _scanner;
    private readonly int _claimLimit;
    private readonly JobSettings _jobSettings;
    private readonly JobSettings _effective;
    private readonly Dictionary<string, (FileRestoreJob Job, CancellationTokenSource Cancel)> _claimed = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Dictionary<string, int> _engineFailures = new(StringComparer.Ordinal);
    private const int EngineAttempts = 3;
    private long _completed, _failed;

    public FolderIntake(WatchSettings settings, ModelPipeline model, long maxPixels, ILogger log)
    {
        _settings = settings;
        _layout = new WatchLayout(settings.Root);
        _model = model;
        _decoder = new ImageDecoder(new ImageDecoderOptions { MaxPixels = maxPixels });
        _log = log;
        _scanner = new InboxScanner(_layout, TimeSpan.FromSeconds(settings.SettleSeconds));
        _claimLimit = model.Options.MaxJobsInFlight * 2;
        _jobSettings = new JobSettings { Seed = settings.Seed, NoiseScale = settings.NoiseScale, Overlap = settings.Overlap, Blend = settings.Blend };
        _effective = model.Options.Resolve(_jobSettings);
    }

    public WatchLayout Layout => _layout;
    public int Claimed { get { lock (_gate) return _claimed.Count; } }
    public long Completed => Interlocked.Read(ref _completed);
    public long Failed => Interlocked.Read(ref _failed);
    public event Action? Progress;

    /// <summary>Runs until <paramref name="stop"/>: resume, then scan and claim.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _layout.EnsureCreated();
        int stale = _layout.RemoveStaleTemporaries();
        if (stale > 0) _log.LogInformation("{Root}: removed {Count} temporary files left by an interrupted write", _layout.Root, stale);
        await ResumeAsync(stop).ConfigureAwait(false);

        using var watcher = CreateWatcher();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await ScanAndClaimAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.LogWarning(e, "{Root}: scan failed; retrying", _layout.Root);
            }
            try
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(_settings.PollMilliseconds), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Cancels claims whose job has not started (they go back to inbox), leaving running jobs alone.</summary>
    public void ReturnUnstarted()
    {
        lock (_gate)
            foreach (var (job, cancel) in _claimed.Values)
                if (!job.Started) cancel.Cancel();
    }

    /// <summary>Cancels everything still claimed (after the drain budget): each goes back to inbox.</summary>
    public void CancelAll()
    {
        lock (_gate)
            foreach (var (_, cancel) in _claimed.Values) cancel.Cancel();
    }

    public async Task WaitIdleAsync(CancellationToken ct)
    {
        while (Claimed > 0) await Task.Delay(20, ct).ConfigureAwait(false);
    }

    private FileSystemWatcher? CreateWatcher()
    {
        try
        {
            // A hint to scan sooner; polling stays the source of truth (watchers miss events on network file systems).
            var w = new FileSystemWatcher(_layout.Inbox) { IncludeSubdirectories = true, EnableRaisingEvents = true };
            w.Created += (_, _) => Wake();
            w.Renamed += (_, _) => Wake();
            return w;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            return null;
        }
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    private async Task ResumeAsync(CancellationToken stop)
    {
        var pending = Directory.EnumerateFiles(_layout.Processing, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => Path.GetRelativePath(_layout.Processing, f)).Order(StringComparer.Ordinal).ToList();
        if (pending.Count > 0) _log.LogInformation("{Root}: resuming {Count} jobs found in processing/", _layout.Root, pending.Count);
        foreach (string rel in pending)
        {
            while (Claimed >= _claimLimit && !stop.IsCancellationRequested) await Task.Delay(20, stop).ConfigureAwait(false);
            if (AlreadyFinished(rel))
            {
                WatchLayout.Move(_layout.Processing, _layout.Done, rel, overwrite: true);
                Interlocked.Increment(ref _completed);
                continue;
            }
            await SubmitAsync(rel, stop).ConfigureAwait(false);
        }
    }

    /// <summary>The output and its sidecar exist and the sidecar names this exact input: the crash came after the write.</summary>
    private bool AlreadyFinished(string rel)
    {
        string output = OutputPath(rel);
        if (!File.Exists(output)) return false;
        string? recorded = ProvenanceSidecar.RecordedInputSha256(output);
        if (recorded is null) return false;
        try
        {
            return ContentKey.Of(File.ReadAllBytes(Path.Combine(_layout.Processing, rel))).Sha256 == recorded;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private async Task ScanAndClaimAsync()
    {
        if (Claimed >= _claimLimit) return;
        foreach (InboxEntry entry in _scanner.Scan(DateTime.UtcNow))
        {
            if (Claimed >= _claimLimit) break;
            if (entry.RefuseReason is not null)
            {
                await RefuseAsync(entry).ConfigureAwait(false);
                continue;
            }
            if (File.Exists(Path.Combine(_layout.Processing, entry.Relative))) continue; // same name still in work
            if (!WatchLayout.Move(_layout.Inbox, _layout.Processing, entry.Relative, overwrite: false)) continue;
            _ = SubmitAsync(entry.Relative, CancellationToken.None);
        }
    }

    private async Task RefuseAsync(InboxEntry entry)
    {
        _log.LogWarning("{Root}: refusing {Name}: {Reason}", _layout.Root, entry.Relative, entry.RefuseReason);
        if (WatchLayout.Move(_layout.Inbox, _layout.Failed, entry.Relative, overwrite: true))
            await WriteErrorAsync(entry.Relative, $"{entry.Relative}: {entry.RefuseReason}", "refused").ConfigureAwait(false);
        Interlocked.Increment(ref _failed);
        PipelineMetrics.Jobs.Add(1, new("source", "folder"), new("result", "failed"));
    }

    private string OutputPath(string rel)
    {
        string output = Path.Combine(_layout.Outbox, rel);
        return _settings.OutputFormat is { Length: > 0 } ext ? Path.ChangeExtension(output, ext.TrimStart('.')) : output;
    }

    private async Task SubmitAsync(string rel, CancellationToken stop)
    {
        string output = OutputPath(rel);
        var job = new FileRestoreJob(Path.Combine(_layout.Processing, rel), output, rel, "folder", _model.Model.Scale, _decoder, _encoder)
        {
            Settings = _jobSettings,
            AfterWrite = (j, report, ct) => new ValueTask(ProvenanceSidecar.WriteAsync(j.OutputPath,
                ProvenanceSidecar.Build(j, report, _model.Model, _model.Engines, _effective, Path.GetRelativePath(_layout.Outbox, j.OutputPath)), ct)),
        };
        var cancel = new CancellationTokenSource();
        lock (_gate) _claimed[rel] = (job, cancel);
        try
        {
            Task<JobReport> done = await _model.Pipeline.SubmitAsync(job, cancel.Token).ConfigureAwait(false);
            await done.ConfigureAwait(false);
            WatchLayout.Move(_layout.Processing, _layout.Done, rel, overwrite: true);
            Interlocked.Increment(ref _completed);
            lock (_gate) _engineFailures.Remove(rel);
            _log.LogInformation("{Root}: restored {Name}", _layout.Root, rel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested || stop.IsCancellationRequested)
        {
            HandBack(rel);
        }
        catch (EngineFailureException e) when (RetryAfterEngineFailure(rel))
        {
            // Transient: the input is fine, the engine is not. Back to inbox for another attempt.
            _log.LogWarning("{Root}: {Name}: {Message}; retrying", _layout.Root, rel, e.Message);
            HandBack(rel);
        }
        catch (Exception e)
        {
            await FailAsync(rel, e).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate) _claimed.Remove(rel);
            cancel.Dispose();
            Progress?.Invoke();
            Wake();
        }
    }

    private bool RetryAfterEngineFailure(string rel)
    {
        lock (_gate)
        {
            int n = _engineFailures[rel] = _engineFailures.GetValueOrDefault(rel) + 1;
            if (n < EngineAttempts) return true;
            _engineFailures.Remove(rel);
            return false;
        }
    }

    private void HandBack(string rel)
    {
        // Never overwrite a newer file of the same name in inbox: then it stays in processing/ and is resumed at start-up.
        if (!File.Exists(Path.Combine(_layout.Inbox, rel)))
            WatchLayout.Move(_layout.Processing, _layout.Inbox, rel, overwrite: false);
        _log.LogInformation("{Root}: handed {Name} back to inbox", _layout.Root, rel);
    }

    private async Task FailAsync(string rel, Exception e)
    {
        string kind = e switch
        {
            ImageDecodeException d => "input: " + d.Failure.ToString().ToLowerInvariant(),
            ImageEncodeException => "output",
            EngineFailureException => "engine",
            IOException => "io",
            _ => "error",
        };
        _log.LogWarning("{Root}: {Name} failed ({Kind}): {Message}", _layout.Root, rel, kind, e.Message);
        try
        {
            if (WatchLayout.Move(_layout.Processing, _layout.Failed, rel, overwrite: true)) await WriteErrorAsync(rel, e.Message, kind).ConfigureAwait(false);
        }
        catch (IOException io)
        {
            // Even failed/ cannot be written (disk full): the original stays in processing/ and is retried at start-up.
            _log.LogError(io, "{Root}: could not move {Name} to failed/; it stays in processing/", _layout.Root, rel);
        }
        Interlocked.Increment(ref _failed);
    }

    private async Task WriteErrorAsync(string rel, string reason, string kind)
    {
        string path = Path.Combine(_layout.Failed, rel + ".error.json");
        var doc = new Dictionary<string, object?>
        {
            ["input"] = rel, ["kind"] = kind, ["reason"] = reason, ["model"] = _model.Model.Id,
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), ["software_version"] = BuildInfo.Version,
        };
        try
        {
            await AtomicFile.WriteAsync(path, (s, ct) => JsonSerializer.SerializeAsync(s, doc, new JsonSerializerOptions { WriteIndented = true }, ct), CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (IOException io)
        {
            _log.LogError(io, "{Root}: could not write {Path}", _layout.Root, path);
        }
    }
}
