namespace ResShift.Pipeline.Bird;

/// <summary>
/// The known part of a task's forward model H in L = mean((H(x̂0) − y)²): its output length, its application and
/// the adjoint that carries a residual back to image space. x̂0 and y are planar CHW float32.
/// </summary>
public interface IDegradation
{
    /// <summary>Number of values H produces (the length of y, and the mean's divisor).</summary>
    int OutputLength { get; }

    void Apply(ReadOnlySpan<float> image, Span<float> output);

    /// <summary>image += Hᵀ(residual) — accumulates, so callers clear first.</summary>
    void AddAdjoint(ReadOnlySpan<float> residual, Span<float> image);
}
