using System.Numerics.Tensors;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// The optimisation state of one BIRD restoration and its iteration (shared/spec/bird.md §3): z, Adam on z, and
/// for blind deblurring the kernel network with its own Adam. <see cref="IterateAsync"/> decodes z to x̂0 through
/// the DDIM chain, evaluates L = mean((H(x̂0) − y)²), steps Adam with ∇_z L = D ⊙ ∇_x̂0 L (and the kernel
/// network's exact gradient), then puts z back on the sphere of radius √d.
/// </summary>
public sealed class BirdInversion
{
    private readonly DdimChain _chain;
    private readonly IDegradation _h;
    private readonly float[] _y, _hx, _gradX0, _gradK;

    public BirdTaskSettings Settings { get; }
    public float[] Z { get; }
    public Adam AdamZ { get; }
    public KernelNet? KernelNet { get; }
    public Adam? AdamKernel { get; }
    public BlurDegradation? Blur { get; }

    /// <summary>Iterations completed (Adam steps taken on z).</summary>
    public int Iteration { get; private set; }

    /// <summary>x̂0 of the last iteration (before that iteration's update: what the released code saves).</summary>
    public float[] X0 { get; }
    public double LastLoss { get; private set; } = double.NaN;

    /// <summary>∇_x̂0 L of the last iteration (before the chain); kept for the gradient checks.</summary>
    public ReadOnlySpan<float> GradientX0 => _gradX0;
    public DdimChain Chain => _chain;

    public BirdInversion(BirdTaskSettings settings, DdimStep[] steps, ReadOnlySpan<float> z0, ReadOnlySpan<float> observation,
        IDegradation degradation, KernelNet? kernelNet = null)
    {
        if (observation.Length != degradation.OutputLength)
            throw new ArgumentException($"the observation holds {observation.Length} values, the {settings.Task.Name()} operator produces {degradation.OutputLength}");
        if ((degradation is BlurDegradation) != (kernelNet is not null))
            throw new ArgumentException("blind deblurring needs a kernel network and a blur operator together");
        Settings = settings;
        _chain = new DdimChain(steps, z0.Length);
        _h = degradation;
        Z = z0.ToArray();
        AdamZ = new Adam(Z.Length);
        X0 = new float[Z.Length];
        _gradX0 = new float[Z.Length];
        _y = observation.ToArray();
        _hx = new float[degradation.OutputLength];
        if (kernelNet is not null)
        {
            Blur = (BlurDegradation)degradation;
            if (Blur.KernelSize != kernelNet.KernelSize) throw new ArgumentException("kernel network and blur disagree on the kernel size");
            KernelNet = kernelNet;
            AdamKernel = new Adam(kernelNet.Parameters.Length);
            _gradK = new float[kernelNet.Outputs];
        }
        else _gradK = [];
    }

    /// <summary>Continues from a checkpoint: iterations done, z, both Adam states and the kernel network.</summary>
    /// <summary>
    /// Why <paramref name="c"/> cannot continue this inversion (an array of another shape, a kernel network where the
    /// task has none or the other way round, a step count out of range), or null when it fits. A checkpoint can
    /// carry the right job key and still not fit: written by another build, or forged.
    /// </summary>
    public string? Misfit(BirdCheckpoint c)
    {
        static string? Length(string name, float[]? have, int want) =>
            have is null ? $"{name} is missing" : have.Length != want ? $"{name} holds {have.Length} values, this job needs {want}" : null;

        if (c.Iteration < 0) return $"iteration {c.Iteration} is negative";
        if (c.Losses.Length != c.Iteration) return $"{c.Losses.Length} losses for {c.Iteration} iterations";
        string? z = Length("z", c.Z, Z.Length) ?? Length("Adam m of z", c.AdamZM, Z.Length) ?? Length("Adam v of z", c.AdamZV, Z.Length);
        if (z is not null) return z;
        if (KernelNet is null)
            return c.KernelParameters is null && c.KernelInput is null && c.AdamKM is null && c.AdamKV is null
                ? null : "it holds a kernel network, this task has none";
        int p = KernelNet.Parameters.Length;
        return Length("kernel network parameters", c.KernelParameters, p) ?? Length("kernel network input", c.KernelInput, KernelNet.Input.Length)
            ?? Length("Adam m of the kernel network", c.AdamKM, p) ?? Length("Adam v of the kernel network", c.AdamKV, p);
    }

    /// <summary>Continues from <paramref name="c"/>; checked first (<see cref="Misfit"/>), so nothing is changed when it does not fit.</summary>
    public void Restore(BirdCheckpoint c)
    {
        if (Misfit(c) is { } misfit)
            throw new InvalidDataException($"the checkpoint does not fit this job: {misfit}");
        c.Z.CopyTo(Z, 0);
        AdamZ.Restore(c.AdamZM, c.AdamZV, c.Iteration);
        if (KernelNet is not null)
        {
            c.KernelParameters!.CopyTo(KernelNet.Parameters, 0);
            c.KernelInput!.CopyTo(KernelNet.Input, 0);
            AdamKernel!.Restore(c.AdamKM!, c.AdamKV!, c.Iteration);
        }
        Iteration = c.Iteration;
        LastLoss = c.LastLoss;
    }

    public BirdCheckpoint Snapshot() => new(Iteration, LastLoss, (float[])Z.Clone(), (float[])AdamZ.M.Clone(), (float[])AdamZ.V.Clone(),
        (float[]?)KernelNet?.Parameters.Clone(), (float[]?)KernelNet?.Input.Clone(), (float[]?)AdamKernel?.M.Clone(), (float[]?)AdamKernel?.V.Clone());

    public async ValueTask<double> IterateAsync(IEpsilonModel model, CancellationToken cancellationToken)
    {
        await _chain.RunAsync(model, Z, X0, cancellationToken).ConfigureAwait(false);
        if (KernelNet is not null) KernelNet.Forward(Blur!.Kernel);
        double loss = Gradients(X0);
        // ∇_z L = D ⊙ ∇_x̂0 L, computed in a scratch copy so the x̂0 gradient stays inspectable.
        float[] gradZ = System.Buffers.ArrayPool<float>.Shared.Rent(Z.Length);
        try
        {
            Span<float> g = gradZ.AsSpan(0, Z.Length);
            _gradX0.CopyTo(g);
            _chain.BackPropagate(g);
            AdamZ.Step(Z, g, Settings.LearningRateZ);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(gradZ);
        }
        if (KernelNet is not null) AdamKernel!.Step(KernelNet.Parameters, KernelNet.Gradient, Settings.LearningRateKernel);
        Renormalise(Z);
        Iteration++;
        LastLoss = loss;
        return loss;
    }

    /// <summary>
    /// L(x̂0) and its gradients for the current kernel: ∇_x̂0 L into <see cref="GradientX0"/> and (blind deblurring)
    /// the kernel network's into its <see cref="KernelNet.Gradient"/>; the kernel must be current (Forward).
    /// </summary>
    public double Gradients(ReadOnlySpan<float> x0)
    {
        // residual r = H(x̂0) − y; L = mean(r²); ∂L/∂H = 2r/N
        _h.Apply(x0, _hx);
        TensorPrimitives.Subtract(_hx, _y, _hx);
        double loss = (double)TensorPrimitives.SumOfSquares(_hx) / _hx.Length;
        TensorPrimitives.Multiply(_hx, 2f / _hx.Length, _hx);
        Array.Clear(_gradX0);
        _h.AddAdjoint(_hx, _gradX0);
        if (KernelNet is not null)
        {
            Blur!.KernelGradient(_hx, x0, _gradK);
            KernelNet.Backward(Blur.Kernel, _gradK);
        }
        return loss;
    }

    /// <summary>z ← z·√d / √(Σz² + 1e-9): back onto the sphere the Gaussian concentrates on.</summary>
    public static void Renormalise(Span<float> z)
    {
        float norm = (float)Math.Sqrt((double)TensorPrimitives.SumOfSquares(z) + 1e-9);
        TensorPrimitives.Divide(z, norm, z);
        TensorPrimitives.Multiply(z, (float)Math.Sqrt(z.Length), z);
    }
}
