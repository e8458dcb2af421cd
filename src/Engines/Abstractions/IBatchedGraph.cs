namespace ResShift.Engines.Abstractions;

/// <summary>
/// One network with named inputs and outputs and a dynamic batch dimension: the engine contract for models that
/// are not a ResShift encoder/denoiser/decoder triple (BIRD's UNet). Every tensor is laid out batch-first and
/// contiguous: <c>batch * ItemElements</c> values. The engine checks at load that the graph declares exactly
/// <see cref="Signature"/>. Thread safety: implementations allow concurrent <see cref="Run"/> calls (each call owns
/// its buffers).
/// </summary>
public interface IBatchedGraph : IDisposable
{
    GraphSignature Signature { get; }

    int MaxBatch { get; }

    /// <summary>Where it computes, for status and provenance: "cpu".</summary>
    string Device { get; }

    /// <summary>e.g. "onnxruntime-cpu".</summary>
    string EngineName { get; }

    /// <summary>
    /// Runs <paramref name="batch"/> items (1..<see cref="MaxBatch"/>). Inputs and outputs are matched by name;
    /// each buffer holds at least <c>batch</c> items and only that prefix is read or written. Outputs are written in
    /// place. Cancelling stops the run between operators with <see cref="OperationCanceledException"/>.
    /// </summary>
    void Run(int batch, IReadOnlyList<GraphInput> inputs, IReadOnlyList<GraphOutput> outputs, CancellationToken cancellationToken);
}
