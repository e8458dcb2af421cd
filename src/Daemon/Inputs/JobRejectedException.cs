namespace ResShift.Daemon.Inputs;

/// <summary>
/// A job that can never succeed as asked (bad message, path, model, input): failed at once with <see cref="Kind"/>
/// and the message as the reason, never retried.
/// </summary>
public sealed class JobRejectedException(string kind, string reason, Exception? inner = null) : Exception(reason, inner)
{
    /// <summary>message, path, model, input.</summary>
    public string Kind { get; } = kind;
}
