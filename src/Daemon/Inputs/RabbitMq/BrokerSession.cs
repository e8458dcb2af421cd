using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using ResShift.Daemon.Configuration;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// One connection's worth of state: a consuming channel (manual acks, QoS) and a publishing channel with
/// publisher confirms (dead letters, events). Delivery tags belong to the consuming channel of the session that
/// received them: once the session is lost they are meaningless, so acks for them are dropped and the broker
/// redelivers those messages instead. Reconnecting makes a new session; nothing is recovered in place.
/// </summary>
public sealed class BrokerSession : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _consume;
    private readonly IChannel _publish;
    private readonly TaskCompletionSource<string> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _ackGate = new(1, 1);
    private readonly List<string> _consumerTags = [];
    private bool _consuming;

    private BrokerSession(IConnection connection, IChannel consume, IChannel publish, Version? brokerVersion)
    {
        _connection = connection;
        _consume = consume;
        _publish = publish;
        BrokerVersion = brokerVersion;
        _connection.ConnectionShutdownAsync += (_, e) => Lose($"connection closed: {e.ReplyText}");
        _consume.ChannelShutdownAsync += (_, e) => Lose($"consuming channel closed: {e.ReplyText}");
        _publish.ChannelShutdownAsync += (_, e) => Lose($"publishing channel closed: {e.ReplyText}");
    }

    public Version? BrokerVersion { get; }

    /// <summary>Completes with the reason when the connection or either channel goes away.</summary>
    public Task<string> Lost => _lost.Task;

    public bool IsOpen => !_lost.Task.IsCompleted && _consume.IsOpen && _publish.IsOpen;

    public static async Task<BrokerSession> OpenAsync(RabbitMqSettings s, ushort prefetch, ILogger log, CancellationToken ct)
    {
        var factory = new ConnectionFactory
        {
            Uri = new Uri(s.Uri),
            AutomaticRecoveryEnabled = false, // our own reconnect loop: a fresh session, stale tags never reused
            TopologyRecoveryEnabled = false,
            RequestedHeartbeat = TimeSpan.FromSeconds(20),
            RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
            ClientProvidedName = $"resshift@{Environment.MachineName}:{Environment.ProcessId}",
        };
        IConnection connection = await factory.CreateConnectionAsync(ct).ConfigureAwait(false);
        try
        {
            IChannel consume = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
            IChannel publish = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct).ConfigureAwait(false);
            var session = new BrokerSession(connection, consume, publish, QueueTopology.BrokerVersion(connection));
            await QueueTopology.DeclareAsync(publish, s, session.BrokerVersion, log, ct).ConfigureAwait(false);
            await consume.BasicQosAsync(0, prefetch, global: false, ct).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts delivering <paramref name="queue"/> (one session may consume several; QoS applies per consumer) to <paramref name="onDelivery"/>, which must return quickly (it runs on the channel's dispatcher).</summary>
    public async Task ConsumeAsync(string queue, Func<BasicDeliverEventArgs, Task> onDelivery, CancellationToken ct)
    {
        var consumer = new AsyncEventingBasicConsumer(_consume);
        consumer.ReceivedAsync += (_, e) => onDelivery(e);
        // A broker-side cancel (queue deleted, node failover) ends the session: the loop reconnects and redeclares.
        consumer.UnregisteredAsync += (_, _) => Volatile.Read(ref _consuming) ? Lose($"the broker cancelled the consumer of {queue}") : Task.CompletedTask;
        Volatile.Write(ref _consuming, true);
        string tag = await _consume.BasicConsumeAsync(queue, autoAck: false, consumer, ct).ConfigureAwait(false);
        lock (_consumerTags) _consumerTags.Add(tag);
    }

    /// <summary>Stops new deliveries; acks and publishes keep working for the messages already held.</summary>
    public async Task StopConsumingAsync(CancellationToken ct)
    {
        Volatile.Write(ref _consuming, false);
        string[] tags;
        lock (_consumerTags)
        {
            tags = [.. _consumerTags];
            _consumerTags.Clear();
        }
        foreach (string tag in tags)
            if (IsOpen) await _consume.BasicCancelAsync(tag, noWait: false, ct).ConfigureAwait(false);
    }

    public Task AckAsync(ulong tag, CancellationToken ct) => Settle(() => _consume.BasicAckAsync(tag, multiple: false, ct));

    public Task RequeueAsync(ulong tag, CancellationToken ct) => Settle(() => _consume.BasicNackAsync(tag, multiple: false, requeue: true, ct));

    /// <summary>Publishes and waits for the broker's confirm; a nack, or with <paramref name="mandatory"/> no queue to route to, throws.</summary>
    public async Task PublishAsync(string exchange, string routingKey, bool mandatory, BasicProperties props, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        try
        {
            await _publish.BasicPublishAsync(exchange, routingKey, mandatory, props, body, ct).ConfigureAwait(false);
        }
        catch (PublishException e)
        {
            throw new IOException(e.IsReturn ? $"exchange '{exchange}' routed the message to no queue" : $"the broker refused the message for exchange '{exchange}'", e);
        }
    }

    private async Task Settle(Func<ValueTask> op)
    {
        await _ackGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await op().ConfigureAwait(false);
        }
        finally
        {
            _ackGate.Release();
        }
    }

    private Task Lose(string reason)
    {
        _lost.TrySetResult(reason);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _ = Lose("closed by us");
        try
        {
            await _connection.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already gone: nothing left to close cleanly.
        }
        await _connection.DisposeAsync().ConfigureAwait(false);
        _ackGate.Dispose();
    }
}
