using System.Numerics.Tensors;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// Adam (β = 0.9, 0.999; ε = 1e-8) for one parameter tensor, in PyTorch's operation order:
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε).
/// </summary>
public sealed class Adam
{
    public const double Beta1 = 0.9, Beta2 = 0.999;
    public const float Epsilon = 1e-8f;

    public float[] M { get; }
    public float[] V { get; }
    public int Steps { get; private set; }
    private readonly float[] _scratch;

    public Adam(int length)
    {
        M = new float[length];
        V = new float[length];
        _scratch = new float[length];
    }

    /// <summary>Restores moments and step count from a checkpoint.</summary>
    public void Restore(ReadOnlySpan<float> m, ReadOnlySpan<float> v, int steps)
    {
        m.CopyTo(M);
        v.CopyTo(V);
        Steps = steps;
    }

    public void Step(Span<float> parameter, ReadOnlySpan<float> gradient, float learningRate)
    {
        Steps++;
        Span<float> s = _scratch;
        // m = m*β1 + g*(1-β1); v = v*β2 + g*g*(1-β2)
        TensorPrimitives.Multiply(M, (float)Beta1, M);
        TensorPrimitives.Multiply(gradient, (float)(1 - Beta1), s);
        TensorPrimitives.Add(M, s, M);
        TensorPrimitives.Multiply(V, (float)Beta2, V);
        TensorPrimitives.Multiply(gradient, gradient, s);
        TensorPrimitives.Multiply(s, (float)(1 - Beta2), s);
        TensorPrimitives.Add(V, s, V);
        double bc1 = 1 - Math.Pow(Beta1, Steps);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, Steps));
        float stepSize = (float)(learningRate / bc1);
        TensorPrimitives.Sqrt(V, s);
        TensorPrimitives.Divide(s, (float)bc2Sqrt, s);
        TensorPrimitives.Add(s, Epsilon, s);
        TensorPrimitives.Divide(M, s, s);
        TensorPrimitives.Multiply(s, -stepSize, s);
        TensorPrimitives.Add(parameter, s, parameter);
    }
}
