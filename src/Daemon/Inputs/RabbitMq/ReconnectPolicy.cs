using Polly;
using Polly.Retry;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// How a queue intake retries connecting to the broker (Polly): exponential from 0.5 s up to 15 s with
/// decorrelated jitter, so a fleet of daemons does not reconnect in lock-step after a broker restart; forever,
/// until the intake stops. One <see cref="ResiliencePipeline{T}.ExecuteAsync"/> covers the attempts up to one
/// connection, so the next outage starts again from 0.5 s.
/// </summary>
public static class ReconnectPolicy
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(15);

    /// <param name="onRetry">Told each failure and the pause before the next try (for readiness and the log).</param>
    public static ResiliencePipeline<T> Build<T>(Action<Exception, TimeSpan> onRetry, TimeProvider? time = null)
    {
        var builder = new ResiliencePipelineBuilder<T> { TimeProvider = time ?? TimeProvider.System };
        return builder.AddRetry(new RetryStrategyOptions<T>
        {
            // Every failure is worth another try, except the cancellation that stops the intake.
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = FirstDelay,
            MaxDelay = MaxDelay,
            MaxRetryAttempts = int.MaxValue,
            OnRetry = args =>
            {
                onRetry(args.Outcome.Exception!, args.RetryDelay);
                return default;
            },
        }).Build();
    }
}
