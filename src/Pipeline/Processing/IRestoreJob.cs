namespace ResShift.Pipeline.Processing;

/// <summary>
/// One unit of work for the pipeline: where its pixels come from and where they go. The pipeline does the
/// scheduling (tiles, batches, engines); the job does the I/O (decode, encode, atomic write, sidecars).
/// </summary>
public interface IRestoreJob
{
    /// <summary>A short name for logs and errors (a relative path, a message id).</summary>
    string Name { get; }

    /// <summary>Where the job came from, for metrics: "cli", "folder", "rabbitmq".</summary>
    string Source { get; }

    /// <summary>Keys the noise field: derived from the content, so the same input gives the same output.</summary>
    ulong NoiseKey { get; }

    /// <summary>Per-job overrides of the pipeline's defaults.</summary>
    JobSettings Settings => JobSettings.Default;

    /// <summary>
    /// The input's size from its header, without decoding pixels, so the pipeline can check and reserve the
    /// job's memory first; null when only loading tells (the pipeline then checks after loading, before tiling).
    /// </summary>
    ValueTask<ImageSize?> ProbeAsync(CancellationToken cancellationToken) => ValueTask.FromResult<ImageSize?>(null);

    /// <summary>Decodes the input to LQ pixels in [-1, 1].</summary>
    ValueTask<LqImage> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Called once the job is cut into tiles (for progress reporting).</summary>
    void OnPlanned(int tiles) { }

    /// <summary>Called as each tile comes back from the engine (for progress reporting; keep it cheap).</summary>
    void OnTileDone() { }

    /// <summary>Writes the result (postprocess + encode + durable write).</summary>
    ValueTask WriteAsync(RestoredImage output, JobReport report, CancellationToken cancellationToken);
}
