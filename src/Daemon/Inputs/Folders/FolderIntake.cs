using System.Text.Json;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Inputs.Review;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Feeds one watch root into its model's pipeline. Claims files only while the pipeline has room, so a
/// backlog of any size waits in inbox (memory stays bounded and several daemons can share a root).
/// Crash safety: output and sidecar are written atomically before the original leaves processing/, and
/// whatever is in processing/ at start-up is resumed through the same claims as scanned files (concurrent,
/// batched together, counted against the limit, stopped by the drain): finished ones (<see cref="CompletedOutput"/>)
/// are just moved to done/, the rest are redone. On drain, claims that never started go back to inbox.
/// </summary>
public sealed class FolderIntake : IIntake
{
    private const int Attempts = 3;

    private readonly WatchLayout _layout;
    private readonly WatchSettings _settings;
    private readonly ModelPipeline _model;
    private readonly JobFactory _jobs;
    private readonly ILogger _log;
    private readonly InboxScanner _scanner;
    private readonly int _claimLimit;
    private readonly JobSettings _effective;
    private readonly ClaimSet<string> _claims = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Dictionary<string, int> _transientFailures = new(StringComparer.Ordinal);
    private readonly Queue<string> _resume = new();
    private long _completed, _failed;

    public FolderIntake(WatchSettings settings, ModelPipeline model, long maxPixels, ILogger log)
    {
        _settings = settings;
        _layout = new WatchLayout(settings.Root);
        _model = model;
        _jobs = new JobFactory(maxPixels);
        _log = log;
        _scanner = new InboxScanner(_layout, TimeSpan.FromSeconds(settings.SettleSeconds));
        _claimLimit = model.Options.MaxJobsInFlight * 2;
        _effective = model.Options.Resolve(new JobSettings { Seed = settings.Seed, NoiseScale = settings.NoiseScale, Overlap = settings.Overlap, Blend = settings.Blend });
    }

    public WatchLayout Layout => _layout;
    public string Describe => "folder:" + _layout.Root;
    public string ClaimsName => "claimed";
    public string? Problem => null;
    public int Claimed => _claims.Count;
    public long Completed => Interlocked.Read(ref _completed);
    public long Failed => Interlocked.Read(ref _failed);
    public event Action? Progress;

    /// <summary>Runs until <paramref name="stop"/>: queue what processing/ holds for resumption, then claim (resumed first, then scanned).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _layout.EnsureCreated();
        int stale = _layout.RemoveStaleTemporaries();
        if (stale > 0) _log.LogInformation("{Root}: removed {Count} temporary files left by an interrupted write", _layout.Root, stale);
        foreach (string rel in Directory.EnumerateFiles(_layout.Processing, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                     .Select(f => Path.GetRelativePath(_layout.Processing, f)).Order(StringComparer.Ordinal))
            _resume.Enqueue(rel);
        if (_resume.Count > 0) _log.LogInformation("{Root}: resuming {Count} jobs found in processing/", _layout.Root, _resume.Count);
        _log.LogInformation("watching {Root} (drop files in {Inbox}, results in {Outbox})", _layout.Root, _layout.Inbox, _layout.Outbox);

        using var watcher = CreateWatcher();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                ClaimResumed(stop);
                if (_resume.Count == 0) await ScanAndClaimAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.LogWarning(e, "{Root}: scan failed; retrying", _layout.Root);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // Never let the intake stop silently: say what broke and keep watching.
                _log.LogError(e, "{Root}: unexpected failure while claiming: {Message}; retrying", _layout.Root, e.Message);
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
        if (_resume.Count > 0)
            _log.LogInformation("{Root}: {Count} jobs not resumed before the stop stay in processing/ for the next start", _layout.Root, _resume.Count);
    }

    public void ReturnUnstarted() => _claims.ReturnUnstarted();

    public void CancelAll() => _claims.CancelAll();

    public Task WaitIdleAsync(CancellationToken ct) => _claims.WaitIdleAsync(ct);

    public ValueTask DisposeAsync()
    {
        _wake.Dispose();
        return ValueTask.CompletedTask;
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
        try
        {
            if (_wake.CurrentCount == 0) _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // A job settled after the intake was disposed: nobody is waiting any more.
        }
    }

    /// <summary>Files left in processing/ by a crash, claimed like scanned ones while there is room.</summary>
    private void ClaimResumed(CancellationToken stop)
    {
        while (_resume.Count > 0 && Claimed < _claimLimit && !stop.IsCancellationRequested)
        {
            string rel = _resume.Dequeue();
            if (!File.Exists(Path.Combine(_layout.Processing, rel))) continue;
            if (CompletedOutput.Matches(OutputPath(rel), Path.Combine(_layout.Processing, rel), _model.Model.Id, _effective))
            {
                // The crash came after the output and sidecar were durable: only the move to done/ was missing.
                if (MoveOrReport(rel, _layout.Done, "done/"))
                {
                    Interlocked.Increment(ref _completed);
                    _log.LogInformation("{Root}: {Name} was already restored; moved to done/", _layout.Root, rel);
                }
                continue;
            }
            Start(rel);
        }
    }

    private async Task ScanAndClaimAsync(CancellationToken stop)
    {
        if (Claimed >= _claimLimit) return;
        foreach (InboxEntry entry in _scanner.Scan(DateTime.UtcNow))
        {
            if (Claimed >= _claimLimit || stop.IsCancellationRequested) break;
            if (entry.RefuseReason is not null)
            {
                await RefuseAsync(entry).ConfigureAwait(false);
                continue;
            }
            // Same name still in work, or a claim still settling (a file handed back a moment ago is in inbox before its claim ends).
            if (_claims.Contains(entry.Relative) || File.Exists(Path.Combine(_layout.Processing, entry.Relative))) continue;
            if (!WatchLayout.Move(_layout.Inbox, _layout.Processing, entry.Relative, overwrite: false)) continue;
            Start(entry.Relative);
        }
    }

    /// <summary>Claims <paramref name="rel"/> (now in processing/) and runs it in the background; the claim counts from here.</summary>
    private void Start(string rel)
    {
        Claim claim = _claims.Add(rel);
        Background.Run(() => RunJobAsync(rel, claim), _log, $"{_layout.Root}: {rel}");
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
        if (Pipeline.Video.VideoFiles.HasVideoExtension(rel)) return Video.VideoJobRunner.OutputFor(output); // videos come out as MKV
        return _settings.OutputFormat is { Length: > 0 } ext ? Path.ChangeExtension(output, ext.TrimStart('.')) : output;
    }

    /// <summary>review/&lt;rel&gt;.restored&lt;ext&gt;: beside its original in review/, never under the same name.</summary>
    private string HeldOutputPath(string rel) => Path.Combine(_layout.Review, rel + ".restored" + Path.GetExtension(OutputPath(rel)));

    private async Task RunJobAsync(string rel, Claim claim)
    {
        try
        {
            if (await Video.VideoJobRunner.IsVideoAsync(Path.Combine(_layout.Processing, rel), claim.Token).ConfigureAwait(false))
            {
                JobResult video = await Video.VideoJobRunner.RunAsync(_model, _effective, Path.Combine(_layout.Processing, rel), OutputPath(rel), rel, "folder", claim.Token).ConfigureAwait(false);
                await SettleAsync(rel, video).ConfigureAwait(false);
                return;
            }
            FileRestoreJob job = _jobs.Create(_model, _effective, Path.Combine(_layout.Processing, rel), OutputPath(rel), rel, "folder",
                Path.GetRelativePath(_layout.Outbox, OutputPath(rel)), _settings.Fidelity, HeldOutputPath(rel));
            claim.Job = job;
            JobResult result = await JobFactory.RunAsync(_model, job, claim.Token).ConfigureAwait(false);
            await SettleAsync(rel, result).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Settling itself failed in a way nobody foresaw: say so, and put the file where an operator will look.
            _log.LogError(e, "{Root}: {Name}: unexpected failure: {Message}", _layout.Root, rel, e.Message);
            await FailAsync(rel, e.Message, "error").ConfigureAwait(false);
        }
        finally
        {
            claim.Dispose();
            Progress?.Invoke();
            Wake();
        }
    }

    /// <summary>Every way a job can end, in one place: done/, back to inbox, or failed/ with the reason.</summary>
    private async Task SettleAsync(string rel, JobResult result)
    {
        switch (result.Kind)
        {
            case OutcomeKind.Completed or OutcomeKind.AlreadyDone:
                lock (_transientFailures) _transientFailures.Remove(rel);
                if (MoveOrReport(rel, _layout.Done, "done/"))
                {
                    Interlocked.Increment(ref _completed);
                    _log.LogInformation("{Root}: restored {Name}", _layout.Root, rel);
                }
                else
                {
                    await FailAsync(rel, $"{rel} was restored to outbox/, but the original could not be moved to done/ (see the log)", "io").ConfigureAwait(false);
                }
                break;
            case OutcomeKind.Review:
                lock (_transientFailures) _transientFailures.Remove(rel);
                await HoldForReviewAsync(rel, result).ConfigureAwait(false);
                break;
            case OutcomeKind.Cancelled:
                HandBack(rel);
                break;
            case OutcomeKind.Transient when RetryAfterTransientFailure(rel):
                // The input may be fine and the engine or disk not: back to inbox for another attempt.
                _log.LogWarning("{Root}: {Name} failed ({Kind}): {Message}; retrying", _layout.Root, rel, result.Class?.Label, result.Error);
                HandBack(rel);
                break;
            default:
                _log.LogWarning("{Root}: {Name} failed ({Kind}): {Message}", _layout.Root, rel, result.Class?.Label, result.Error);
                await FailAsync(rel, result.Error ?? "failed", result.Class?.Label ?? "error").ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// The output and its sidecar are already in review/; the record goes next, then the original joins them, so an
    /// original in review/ always has both beside it (a crash before that leaves it in processing/, redone at start-up).
    /// </summary>
    private async Task HoldForReviewAsync(string rel, JobResult result)
    {
        var record = FidelityReview.Record(rel, Path.GetRelativePath(_layout.Root, HeldOutputPath(rel)), Path.GetRelativePath(_layout.Root, OutputPath(rel)),
            _model.Model.Id, result.Report!, _settings.Fidelity);
        await FidelityReview.WriteAsync(Path.Combine(_layout.Review, rel + FidelityReview.RecordSuffix), record, CancellationToken.None).ConfigureAwait(false);
        if (MoveOrReport(rel, _layout.Review, "review/"))
        {
            Interlocked.Increment(ref _completed);
            FidelityMetrics.RecordHeld(_model.Model.Id, "folder");
            _log.LogWarning("{Root}: {Name} held in review/: {Reason}", _layout.Root, rel, record["reason"]?.GetValue<string>());
        }
        else
        {
            await FailAsync(rel, $"{rel} was restored to review/, but the original could not be moved there (see the log)", "io").ConfigureAwait(false);
        }
    }

    private bool RetryAfterTransientFailure(string rel)
    {
        lock (_transientFailures)
        {
            int n = _transientFailures[rel] = _transientFailures.GetValueOrDefault(rel) + 1;
            if (n < Attempts) return true;
            _transientFailures.Remove(rel);
            return false;
        }
    }

    /// <summary>Moves the original out of processing/; on failure logs why and returns false (the file is still there).</summary>
    private bool MoveOrReport(string rel, string folder, string name)
    {
        try
        {
            if (WatchLayout.Move(_layout.Processing, folder, rel, overwrite: true)) return true;
            _log.LogWarning("{Root}: {Name} vanished from processing/ before it could go to {Folder}", _layout.Root, rel, name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogError("{Root}: could not move {Name} to {Folder}: {Message}", _layout.Root, rel, name, e.Message);
        }
        return false;
    }

    private void HandBack(string rel)
    {
        // Never overwrite a newer file of the same name in inbox: then it stays in processing/ and is resumed at start-up.
        try
        {
            if (!File.Exists(Path.Combine(_layout.Inbox, rel)))
                WatchLayout.Move(_layout.Processing, _layout.Inbox, rel, overwrite: false);
            _log.LogInformation("{Root}: handed {Name} back to inbox", _layout.Root, rel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogError("{Root}: could not hand {Name} back to inbox ({Message}); it stays in processing/ and is resumed at the next start", _layout.Root, rel, e.Message);
        }
    }

    private async Task FailAsync(string rel, string reason, string kind)
    {
        Interlocked.Increment(ref _failed);
        if (!MoveOrReport(rel, _layout.Failed, "failed/"))
        {
            // Even failed/ cannot take it (disk full, permissions): the original stays in processing/ and is retried at start-up.
            if (File.Exists(Path.Combine(_layout.Processing, rel)))
                _log.LogError("{Root}: {Name} stays in processing/ and is retried at the next start", _layout.Root, rel);
            return;
        }
        await WriteErrorAsync(rel, reason, kind).ConfigureAwait(false);
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogError(e, "{Root}: could not write {Path}", _layout.Root, path);
        }
    }
}
