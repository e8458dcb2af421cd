namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// A message that can never succeed as sent (bad JSON, schema, path, model, input): dead-lettered at once with
/// <see cref="Kind"/> and the message as the reason, never retried.
/// </summary>
public sealed class JobRejectedException(string kind, string reason, Exception? inner = null) : Exception(reason, inner)
{
    /// <summary>message, path, model, input.</summary>
    public string Kind { get; } = kind;
}
