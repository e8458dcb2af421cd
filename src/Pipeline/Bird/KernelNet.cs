using System.Numerics.Tensors;
using ResShift.Pipeline.Noise;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// Blind deblurring's kernel generator: fixed input u → Linear(n→h) → ReLU6 → Linear(h→K²) → softmax → K×K
/// kernel (non-negative, sums to 1). Parameters live in one flat array [W1 (h×n), b1, W2 (K²×h), b2] so Adam
/// and checkpoints treat them as one tensor. Forward keeps its activations for the exact backward.
/// </summary>
public sealed class KernelNet
{
    public int Inputs { get; }
    public int Hidden { get; }
    public int KernelSize { get; }
    public int Outputs => KernelSize * KernelSize;

    /// <summary>The fixed network input u.</summary>
    public float[] Input { get; }
    public float[] Parameters { get; }
    public float[] Gradient { get; }

    private readonly float[] _h, _a, _o, _ga, _gh;

    public KernelNet(int inputs, int hidden, int kernelSize)
    {
        (Inputs, Hidden, KernelSize) = (inputs, hidden, kernelSize);
        Input = new float[inputs];
        Parameters = new float[hidden * inputs + hidden + Outputs * hidden + Outputs];
        Gradient = new float[Parameters.Length];
        _h = new float[hidden];
        _a = new float[hidden];
        _o = new float[Outputs];
        _ga = new float[hidden];
        _gh = new float[hidden];
    }

    /// <summary>The released sizes: u of 200 values, 1000 hidden units, a 41×41 kernel.</summary>
    public static KernelNet Released() => new(200, 1000, 41);

    public Span<float> W1 => Parameters.AsSpan(0, Hidden * Inputs);
    public Span<float> B1 => Parameters.AsSpan(Hidden * Inputs, Hidden);
    public Span<float> W2 => Parameters.AsSpan(Hidden * Inputs + Hidden, Outputs * Hidden);
    public Span<float> B2 => Parameters.AsSpan(Hidden * Inputs + Hidden + Outputs * Hidden, Outputs);

    /// <summary>
    /// Seeded initialisation: u uniform in [0, 0.1), weights and biases uniform in ±1/√fan_in (PyTorch's Linear
    /// default), all from the counter-based Philox generator, so a job is reproducible from its seed alone.
    /// </summary>
    public void Initialise(ulong seed, ulong jobKey)
    {
        var (k0, k1) = NoiseField.DeriveKey(seed, jobKey ^ 0x6B65726E656C6E74UL); // "kernelnt": a stream apart from z's
        FillUniform(Input, 0, 0f, 0.1f, k0, k1);
        float b1 = 1f / MathF.Sqrt(Inputs), b2 = 1f / MathF.Sqrt(Hidden);
        FillUniform(W1, 1, -b1, b1, k0, k1);
        FillUniform(B1, 2, -b1, b1, k0, k1);
        FillUniform(W2, 3, -b2, b2, k0, k1);
        FillUniform(B2, 4, -b2, b2, k0, k1);
    }

    private static void FillUniform(Span<float> dst, uint stream, float lo, float hi, uint k0, uint k1)
    {
        for (int i = 0; i < dst.Length; i += 4)
        {
            var (a, b, c, d) = Philox4x32.Generate((uint)(i >> 2), 0, stream, 0x42495244u, k0, k1);
            ReadOnlySpan<uint> four = [a, b, c, d];
            for (int l = 0; l < 4 && i + l < dst.Length; l++)
                dst[i + l] = lo + (hi - lo) * (float)((four[l] >> 8) * (1.0 / (1 << 24)));
        }
    }

    /// <summary>kernel ← softmax(W2·relu6(W1·u + b1) + b2).</summary>
    public void Forward(Span<float> kernel)
    {
        ReadOnlySpan<float> w1 = W1, w2 = W2;
        for (int j = 0; j < Hidden; j++) _h[j] = TensorPrimitives.Dot(w1.Slice(j * Inputs, Inputs), Input) + B1[j];
        TensorPrimitives.Clamp(_h, 0f, 6f, _a);
        for (int o = 0; o < Outputs; o++) _o[o] = TensorPrimitives.Dot(w2.Slice(o * Hidden, Hidden), _a) + B2[o];
        TensorPrimitives.SoftMax(_o, kernel[..Outputs]);
    }

    /// <summary>Gradient ← ∂L/∂parameters given ∂L/∂kernel and the kernel of the last <see cref="Forward"/>.</summary>
    public void Backward(ReadOnlySpan<float> kernel, ReadOnlySpan<float> kernelGradient)
    {
        Span<float> go = _o; // reuse: the logits are no longer needed
        float dot = TensorPrimitives.Dot(kernel[..Outputs], kernelGradient[..Outputs]);
        TensorPrimitives.Subtract(kernelGradient[..Outputs], dot, go);
        TensorPrimitives.Multiply(go, kernel[..Outputs], go);
        Span<float> gw2 = Gradient.AsSpan(Hidden * Inputs + Hidden, Outputs * Hidden);
        go.CopyTo(Gradient.AsSpan(Hidden * Inputs + Hidden + Outputs * Hidden, Outputs));
        ReadOnlySpan<float> w2 = W2;
        Array.Clear(_ga);
        for (int o = 0; o < Outputs; o++)
        {
            TensorPrimitives.Multiply(_a, go[o], gw2.Slice(o * Hidden, Hidden));
            TensorPrimitives.MultiplyAdd(w2.Slice(o * Hidden, Hidden), go[o], _ga, _ga);
        }
        // ReLU6 passes gradient only strictly inside (0, 6), as PyTorch's hardtanh backward.
        for (int j = 0; j < Hidden; j++) _gh[j] = _h[j] > 0f && _h[j] < 6f ? _ga[j] : 0f;
        Span<float> gw1 = Gradient.AsSpan(0, Hidden * Inputs);
        for (int j = 0; j < Hidden; j++) TensorPrimitives.Multiply(Input, _gh[j], gw1.Slice(j * Inputs, Inputs));
        _gh.CopyTo(Gradient.AsSpan(Hidden * Inputs, Hidden));
    }
}
