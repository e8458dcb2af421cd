using Microsoft.Extensions.Logging;
using RabbitMQ.Client.Events;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Fidelity;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Backends;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// Consumes one queue into the model pipelines. Prefetch equals the pipeline's job capacity, so a busy daemon
/// holds no more messages than it can work on and the rest stay in the queue for its peers. Every message is
/// settled on the session it came from: ack after the output is durable (or was already), dead-letter with a
/// reason when it can never succeed, requeue when it might. When the connection drops, the loop reconnects with
/// backoff while readiness reports the outage; jobs already running finish, but their stale tags are not acked —
/// the broker redelivers those messages and the idempotency check acks them without recomputing. The same
/// session also consumes <c>&lt;queue&gt;.segments</c> (segments of split videos, same prefetch and ack-after-commit
/// rule): see <see cref="Segments.SegmentJobRunner"/>.
/// </summary>
public sealed class RabbitMqIntake : IIntake
{
    private readonly RabbitMqSettings _settings;
    private readonly QueueJobRunner _runner;
    private readonly Segments.SegmentJobRunner _segments;
    private readonly ushort _prefetch;
    private readonly ILogger _log;
    private readonly ClaimSet<Delivery> _claims = new(ReferenceEqualityComparer.Instance);
    private volatile BrokerSession? _session;
    private volatile string? _problem = "not connected yet";
    private volatile bool _stopping;
    private long _completed, _failed;

    public RabbitMqIntake(RabbitMqSettings settings, IReadOnlyDictionary<string, ModelPipeline> models, long maxPixels, ILogger log)
    {
        _settings = settings;
        var paths = new PathGuard(settings.Roots);
        var locks = new OutputLocks();
        _runner = new QueueJobRunner(settings, models, maxPixels, log, paths, locks);
        _segments = new Segments.SegmentJobRunner(settings, models, paths, locks, log);
        _prefetch = (ushort)(settings.Prefetch > 0 ? settings.Prefetch : models[settings.Model].Options.MaxJobsInFlight);
        _log = log;
    }

    public string Queue => _settings.Queue;
    public string Describe => "rabbitmq:" + _settings.Queue;
    public string ClaimsName => "unacked";

    /// <summary>Null while connected and consuming; otherwise why not (for readiness).</summary>
    public string? Problem => _problem;
    public int Claimed => _claims.Count;
    public long Completed => Interlocked.Read(ref _completed);
    public long Failed => Interlocked.Read(ref _failed);
    public event Action? Progress;

    /// <summary>Connects, consumes and reconnects until <paramref name="stop"/>; then cancels the consumer and returns, keeping the session for the drain's acks.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var reconnect = ReconnectPolicy.Build<BrokerSession>((e, pause) =>
        {
            _problem = $"rabbitmq queue {_settings.Queue}: cannot connect to {RabbitMqSettings.Redact(_settings.Uri)}: {e.Message}";
            _log.LogWarning("queue {Queue}: {Problem}; next try in {Backoff:0.0} s", _settings.Queue, _problem, pause.TotalSeconds);
        });
        while (!stop.IsCancellationRequested)
        {
            BrokerSession session;
            try
            {
                session = await reconnect.ExecuteAsync(ConnectAsync, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            _problem = null;
            _log.LogInformation("queue {Queue}: consuming on {Uri} (RabbitMQ {Version}, prefetch {Prefetch})", _settings.Queue,
                RabbitMqSettings.Redact(_settings.Uri), session.BrokerVersion?.ToString() ?? "?", _prefetch);
            try
            {
                string reason = await session.Lost.WaitAsync(stop).ConfigureAwait(false);
                _problem = $"rabbitmq queue {_settings.Queue}: disconnected ({reason}); reconnecting";
                _log.LogWarning("queue {Queue}: {Reason}; reconnecting ({Held} jobs in work will be redelivered)", _settings.Queue, reason, Claimed);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            Abandon(session);
            try
            {
                // A connection that drops as soon as it is made must not spin: the first pause of an outage.
                await Task.Delay(ReconnectPolicy.FirstDelay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        _stopping = true;
        if (_session is { } live)
        {
            try
            {
                await live.StopConsumingAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _log.LogWarning("queue {Queue}: could not cancel the consumer cleanly: {Message}", _settings.Queue, e.Message);
            }
        }
    }

    /// <summary>Drain: messages whose job has not started go back to the queue now.</summary>
    public void ReturnUnstarted() => _claims.ReturnUnstarted();

    /// <summary>After the drain budget: everything still running is cancelled and requeued.</summary>
    public void CancelAll() => _claims.CancelAll();

    public Task WaitIdleAsync(CancellationToken ct) => _claims.WaitIdleAsync(ct);

    private Task OnDeliveryAsync(BasicDeliverEventArgs e, BrokerSession session, Func<Delivery, Claim, Task> handle)
    {
        Delivery d = Delivery.Copy(e, session);
        if (_stopping) return RequeueAsync(d, "draining");
        Claim claim = _claims.Add(d);
        // Returning at once frees the channel's dispatcher for the next delivery; the job runs on its own.
        Background.Run(() => handle(d, claim), _log, $"queue {_settings.Queue}: delivery {d.Tag}");
        return Task.CompletedTask;
    }

    private async Task HandleAsync(Delivery d, Claim claim)
    {
        try
        {
            JobOutcome o = await _runner.RunAsync(d.Body, job => claim.Job = job, claim.Token).ConfigureAwait(false);
            if (o.Kind == OutcomeKind.Transient && d.DeliveryCount >= _settings.DeliveryLimit)
                o = o with { Kind = OutcomeKind.Rejected, ErrorKind = "retries-exhausted", Error = Exhausted(d, o.ErrorKind, o.Error) };
            await SettleAsync(d, o).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Settling failed (channel gone, publish refused): the message stays unacked and comes back.
            _log.LogWarning("queue {Queue}: could not settle delivery {Tag}: {Message}; the broker will redeliver it", _settings.Queue, d.Tag, e.Message);
        }
        finally
        {
            claim.Dispose();
            Progress?.Invoke();
        }
    }

    /// <summary>A transient failure's requeue waits a little longer on each delivery (250 ms doubling, at most 5 s).</summary>
    private static TimeSpan RetryDelay(Delivery d) => TimeSpan.FromMilliseconds(Math.Min(250 << (int)Math.Min(d.DeliveryCount, 5), 5000));

    private static string Exhausted(Delivery d, string? kind, string? error) => $"failed on {d.DeliveryCount + 1} deliveries; last error ({kind}): {error}";

    private async Task SettleAsync(Delivery d, JobOutcome o)
    {
        if (!d.Session.IsOpen)
        {
            _log.LogInformation("queue {Queue}: job {Id} ended ({Kind}) after its connection was lost; the message will be redelivered", _settings.Queue, o.Id, o.Kind);
            return;
        }
        if (o.Split is { } split && o.Kind == OutcomeKind.Completed)
        {
            // Confirmed segment messages first, then the ack: a crash between leaves duplicates (acked without work), never a lost segment.
            await Task.WhenAll(split.Select(m => d.Session.PublishAsync("", _settings.SegmentsQueue, mandatory: true, new RabbitMQ.Client.BasicProperties
            {
                ContentType = "application/json", DeliveryMode = RabbitMQ.Client.DeliveryModes.Persistent, MessageId = m.MessageId, CorrelationId = m.JobId,
            }, m.ToJson(), CancellationToken.None))).ConfigureAwait(false);
            await d.Session.AckAsync(d.Tag, CancellationToken.None).ConfigureAwait(false);
            _log.LogInformation("queue {Queue}: split video {Id} into {Count} segment messages on {Segments} -> {Output}", _settings.Queue, o.Id, split.Count, _settings.SegmentsQueue, o.Output);
            return;
        }
        switch (o.Kind)
        {
            case OutcomeKind.Completed or OutcomeKind.AlreadyDone:
                await PublishEventAsync(d, o).ConfigureAwait(false);
                await d.Session.AckAsync(d.Tag, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _completed);
                _log.LogInformation("queue {Queue}: {Verb} {Id} -> {Output}", _settings.Queue, o.Kind == OutcomeKind.AlreadyDone ? "already done" : "restored", o.Id, o.Output);
                break;
            case OutcomeKind.Review:
                // Like a dead letter: the confirmed copy first, then the ack; a crash between leaves a duplicate, never a loss.
                await d.Session.PublishAsync("", _settings.ReviewQueue, mandatory: true, ReviewLetter.Properties(d, o, _settings.Queue), d.Body, CancellationToken.None).ConfigureAwait(false);
                await PublishEventAsync(d, o).ConfigureAwait(false);
                await d.Session.AckAsync(d.Tag, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _completed);
                FidelityMetrics.RecordHeld(o.Model ?? _settings.Model, "rabbitmq");
                _log.LogWarning("queue {Queue}: {Id} held for review -> {Held}: {Reason}", _settings.Queue, o.Id, o.HeldOutput, o.Error);
                break;
            case OutcomeKind.Rejected:
                await d.Session.PublishAsync(_settings.DeadLetterExchange, _settings.Queue, mandatory: true, DeadLetter.Properties(d, o, _settings.Queue), d.Body, CancellationToken.None).ConfigureAwait(false);
                await PublishEventAsync(d, o).ConfigureAwait(false);
                await d.Session.AckAsync(d.Tag, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _failed);
                _log.LogWarning("queue {Queue}: dead-lettered {Id} ({Kind}): {Error}", _settings.Queue, o.Id ?? "(no id)", o.ErrorKind, o.Error);
                break;
            case OutcomeKind.Transient:
                // A short pause first, growing per delivery: an immediate requeue could come straight back to this daemon.
                await Task.Delay(RetryDelay(d)).ConfigureAwait(false);
                await RequeueAsync(d, o.Error ?? "transient failure").ConfigureAwait(false);
                break;
            default:
                await RequeueAsync(d, o.Error ?? o.Kind.ToString()).ConfigureAwait(false);
                break;
        }
    }

    private async Task HandleSegmentAsync(Delivery d, Claim claim)
    {
        try
        {
            Segments.SegmentOutcome o = await _segments.RunAsync(d.Body, claim.Token).ConfigureAwait(false);
            if (o.Kind == Segments.SegmentOutcomeKind.Transient && d.DeliveryCount >= _settings.DeliveryLimit)
                o = o with { Kind = Segments.SegmentOutcomeKind.Rejected, ErrorKind = "retries-exhausted", Error = Exhausted(d, o.ErrorKind, o.Error) };
            await SettleSegmentAsync(d, o).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.LogWarning("queue {Queue}: could not settle segment delivery {Tag}: {Message}; the broker will redeliver it", _settings.SegmentsQueue, d.Tag, e.Message);
        }
        finally
        {
            claim.Dispose();
            Progress?.Invoke();
        }
    }

    /// <summary>
    /// A segment is acked only after its work is durable (and, for the worker that found the full set, after the
    /// output is delivered); the video job's completed or failed event comes from that settle, once per job
    /// (a duplicate assembly publishes job.completed with "duplicate": true).
    /// </summary>
    private async Task SettleSegmentAsync(Delivery d, Segments.SegmentOutcome o)
    {
        if (!d.Session.IsOpen)
        {
            _log.LogInformation("queue {Queue}: segment {Id} ended ({Kind}) after its connection was lost; the message will be redelivered", _settings.SegmentsQueue, o.Message?.MessageId, o.Kind);
            return;
        }
        Segments.SegmentMessage? m = o.Message;
        JobOutcome Job(OutcomeKind kind) => new(kind, m?.JobId, null, m?.Input, m?.Output, o.Model) { Error = o.Error, ErrorKind = o.ErrorKind };
        if (o.RestoredNow)
            await d.Session.PublishAsync(_settings.EventsExchange, JobEvents.Segment, mandatory: false, JobEvents.SegmentProperties(o),
                JobEvents.SegmentBody(o, _settings.Queue, m?.Input, m?.Output), CancellationToken.None).ConfigureAwait(false);
        switch (o.Kind)
        {
            case Segments.SegmentOutcomeKind.Restored or Segments.SegmentOutcomeKind.AlreadyCommitted or Segments.SegmentOutcomeKind.Dropped:
                await d.Session.AckAsync(d.Tag, CancellationToken.None).ConfigureAwait(false);
                if (o.Kind == Segments.SegmentOutcomeKind.Dropped)
                    _log.LogInformation("queue {Queue}: segment {Id} dropped: {Why}", _settings.SegmentsQueue, m?.MessageId, o.Error);
                break;
            case Segments.SegmentOutcomeKind.Assembled or Segments.SegmentOutcomeKind.AlreadyAssembled:
                JobOutcome done = Job(o.Kind == Segments.SegmentOutcomeKind.Assembled ? OutcomeKind.Completed : OutcomeKind.AlreadyDone);
                await PublishEventAsync(d, done).ConfigureAwait(false);
                await d.Session.AckAsync(d.Tag, CancellationToken.None).ConfigureAwait(false);
                if (o.Kind == Segments.SegmentOutcomeKind.Assembled) Interlocked.Increment(ref _completed);
                _log.LogInformation("queue {Queue}: {Verb} video {Id} -> {Output}", _settings.Queue, o.Kind == Segments.SegmentOutcomeKind.Assembled ? "assembled" : "already assembled", m?.JobId, m?.Output);
                break;
            case Segments.SegmentOutcomeKind.Rejected:
                // The first failing segment reports the job's failure; segments failing alongside it are dead-lettered too.
                bool first = m is null || _segments.MarkFailed(m, o.Error ?? "failed");
                await d.Session.PublishAsync(_settings.DeadLetterExchange, _settings.SegmentsQueue, mandatory: true,
                    DeadLetter.Properties(d, Job(OutcomeKind.Rejected) with { Id = m?.MessageId }, _settings.SegmentsQueue), d.Body, CancellationToken.None).ConfigureAwait(false);
                if (first) await PublishEventAsync(d, Job(OutcomeKind.Rejected)).ConfigureAwait(false);
                await d.Session.AckAsync(d.Tag, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _failed);
                ResShift.Pipeline.Processing.PipelineMetrics.Jobs.Add(1, new("source", "rabbitmq"), new("result", "failed"));
                _log.LogWarning("queue {Queue}: dead-lettered segment {Id}; video {Job} failed ({Kind}): {Error}", _settings.SegmentsQueue, m?.MessageId, m?.JobId, o.ErrorKind, o.Error);
                break;
            case Segments.SegmentOutcomeKind.Transient:
                _log.LogWarning("queue {Queue}: segment {Id} failed ({Kind}): {Error}; requeued", _settings.SegmentsQueue, m?.MessageId, o.ErrorKind, o.Error);
                await Task.Delay(RetryDelay(d)).ConfigureAwait(false);
                await RequeueAsync(d, o.Error ?? "transient failure").ConfigureAwait(false);
                break;
            default:
                await RequeueAsync(d, o.Error ?? o.Kind.ToString()).ConfigureAwait(false);
                break;
        }
    }

    private Task PublishEventAsync(Delivery d, JobOutcome o) =>
        // Not mandatory: nobody need be listening for events.
        d.Session.PublishAsync(_settings.EventsExchange, JobEvents.RoutingKey(o), mandatory: false, JobEvents.Properties(o), JobEvents.Body(o, _settings.Queue), CancellationToken.None);

    private async Task RequeueAsync(Delivery d, string why)
    {
        if (!d.Session.IsOpen) return;
        try
        {
            await d.Session.RequeueAsync(d.Tag, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.LogWarning("queue {Queue}: could not requeue delivery {Tag} ({Why}): {Message}", _settings.Queue, d.Tag, why, e.Message);
        }
    }

    /// <summary>A lost session is closed once nothing holds it any more (its jobs may still be finishing).</summary>
    /// <summary>One try: a session consuming both queues, or an exception (the session, if opened, is closed).</summary>
    private async ValueTask<BrokerSession> ConnectAsync(CancellationToken stop)
    {
        BrokerSession session = await BrokerSession.OpenAsync(_settings, _prefetch, _log, stop).ConfigureAwait(false);
        try
        {
            _session = session;
            await session.ConsumeAsync(_settings.Queue, e => OnDeliveryAsync(e, session, HandleAsync), stop).ConfigureAwait(false);
            await session.ConsumeAsync(_settings.SegmentsQueue, e => OnDeliveryAsync(e, session, HandleSegmentAsync), stop).ConfigureAwait(false);
            return session;
        }
        catch
        {
            Abandon(session);
            throw;
        }
    }

    /// <summary>A lost or half-made session: no longer the current one, closed once its jobs have settled.</summary>
    private void Abandon(BrokerSession session)
    {
        if (ReferenceEquals(_session, session)) _session = null;
        Background.Run(() => DisposeWhenIdleAsync(session), _log, $"queue {_settings.Queue}: closing a lost connection");
    }

    private async Task DisposeWhenIdleAsync(BrokerSession session)
    {
        await _claims.WaitUntilAsync(held => !held.Any(d => ReferenceEquals(d.Session, session)), CancellationToken.None).ConfigureAwait(false);
        await session.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _session, null) is { } s) await s.DisposeAsync().ConfigureAwait(false);
    }
}
