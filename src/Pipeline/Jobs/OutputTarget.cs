using ResShift.Pipeline.Files;

namespace ResShift.Pipeline.Jobs;

/// <summary>
/// Where a diverted output goes (<see cref="FileRestoreJob.Divert"/>): its path, for the format and messages, and,
/// for a job that writes through root handles, the files that write it there the same safe way.
/// </summary>
public sealed record OutputTarget(string Path, IJobFiles? Files = null);
