using System.Numerics.Tensors;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// One pass z → x̂0 through the fixed DDIM steps with ε from the UNet (no gradient through the UNet, as released),
/// recording for each step the diagonal Jacobian ∂x'/∂x = m·√ᾱ'/√ᾱ + (1−m)·√(1−ᾱ')/√(1−ᾱ) where m marks pixels whose
/// x0 prediction was not clipped (PyTorch's clamp passes gradient where −1 ≤ q ≤ 1). The product over the steps
/// is D with ∇_z L = D ⊙ ∇_x̂0 L. Buffers are allocated once per job.
/// </summary>
public sealed class DdimChain
{
    private readonly DdimStep[] _steps;
    private readonly float[] _x, _eps, _q, _p;

    /// <summary>Per-step factors [step][pixel] of the last <see cref="RunAsync"/>.</summary>
    public float[][] Factors { get; }

    public int Length { get; }
    public IReadOnlyList<DdimStep> Steps => _steps;

    public DdimChain(DdimStep[] steps, int length)
    {
        _steps = steps;
        Length = length;
        _x = new float[length];
        _eps = new float[length];
        _q = new float[length];
        _p = new float[length];
        Factors = new float[steps.Length][];
        for (int i = 0; i < steps.Length; i++) Factors[i] = new float[length];
    }

    /// <summary>Runs the chain from <paramref name="z"/>, writes x̂0.</summary>
    public async ValueTask RunAsync(IEpsilonModel model, ReadOnlyMemory<float> z, Memory<float> x0, CancellationToken cancellationToken)
    {
        z.Span.CopyTo(_x);
        for (int s = 0; s < _steps.Length; s++)
        {
            await model.PredictAsync(_x, _steps[s].T, _eps, cancellationToken).ConfigureAwait(false);
            Step(_steps[s], Factors[s]);
        }
        _x.CopyTo(x0.Span);
    }

    private void Step(DdimStep st, Span<float> factor)
    {
        // q = (x − √(1−ᾱ)·ε)/√ᾱ; p = clamp(q); ε' = (x − √ᾱ·p)/√(1−ᾱ); x ← √ᾱ'·p + √(1−ᾱ')·ε'
        TensorPrimitives.Multiply(_eps, st.SqrtOneMinusA, _q);
        TensorPrimitives.Subtract(_x, _q, _q);
        TensorPrimitives.Divide(_q, st.SqrtA, _q);
        TensorPrimitives.Clamp(_q, -1f, 1f, _p);
        float inside = st.SqrtANext / st.SqrtA, outside = st.SqrtOneMinusANext / st.SqrtOneMinusA;
        for (int i = 0; i < factor.Length; i++)
            factor[i] = _q[i] >= -1f && _q[i] <= 1f ? inside : outside;
        TensorPrimitives.Multiply(_p, st.SqrtA, _eps);
        TensorPrimitives.Subtract(_x, _eps, _eps);
        TensorPrimitives.Divide(_eps, st.SqrtOneMinusA, _eps);
        TensorPrimitives.Multiply(_eps, st.SqrtOneMinusANext, _eps);
        TensorPrimitives.Multiply(_p, st.SqrtANext, _x);
        TensorPrimitives.Add(_x, _eps, _x);
    }

    /// <summary>grad ← grad ⊙ Π factors of steps ≥ <paramref name="fromStep"/> (step 0: the gradient w.r.t. z).</summary>
    public void BackPropagate(Span<float> grad, int fromStep = 0)
    {
        for (int s = _steps.Length - 1; s >= fromStep; s--) TensorPrimitives.Multiply(grad, Factors[s], grad);
    }
}
