namespace ResShift.Pipeline.Processing;

/// <summary>One padded LQ tile on its way to the engine; <see cref="Lq"/> is rented and returned after the batch.</summary>
internal sealed record TileWork(JobState State, int TileIndex, float[] Lq, int LatentY, int LatentX);
