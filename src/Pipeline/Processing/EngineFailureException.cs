namespace ResShift.Pipeline.Processing;

/// <summary>The engine failed on a batch: a transient failure of ours, not of the input.</summary>
public sealed class EngineFailureException(string message, Exception inner) : Exception(message, inner);
