namespace ResShift.Pipeline.Video.Segments;

/// <summary>A segment was committed by another engine class: the job refuses to mix.</summary>
public sealed class EngineClassMismatchException(string message) : Exception(message);
