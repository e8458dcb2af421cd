namespace ResShift.Pipeline.Diffusion;

/// <summary>
/// Schedule constants of ResShift, computed once in float64 (resshift.md §2). Indices are the code's
/// step index t = 0..T-1. The sampler takes the float32 views; the float64 arrays are what
/// <c>resshift schedule --json</c> prints.
/// </summary>
public sealed class DiffusionSchedule
{
    public ScheduleParameters Parameters { get; }
    public int T => Parameters.T;
    public double Kappa => Parameters.Kappa;

    /// <summary>The denoiser calls in order (T-1..0, or a model's shorter prefix such as SinSR's [14]).</summary>
    public int[] Timesteps { get; }

    public double[] SqrtEta { get; }
    public double[] Eta { get; }
    public double[] EtaPrev { get; }
    public double[] Alpha { get; }
    public double[] C1 { get; }
    public double[] C2 { get; }
    public double[] PosteriorVariance { get; }
    public double[] PosteriorVarianceClipped { get; }

    /// <summary>sqrt of the clipped variance, except sigma[0] = 0: no noise is added at the last step.</summary>
    public double[] Sigma { get; }
    public double[] InputStd { get; }
    public double PriorStd { get; }

    public DiffusionSchedule(ScheduleParameters p)
    {
        p.Validate();
        Parameters = p;
        Timesteps = p.DenoiserSteps;
        int n = p.T;
        SqrtEta = new double[n];
        SqrtEta[0] = Math.Min(p.MinNoiseLevel / p.Kappa, p.MinNoiseLevel);
        double b = Math.Exp(Math.Log(p.EtasEnd / SqrtEta[0]) / (n - 1));
        for (int t = 1; t < n; t++)
        {
            double exponent = Math.Pow((double)t / (n - 1), p.Power) * (n - 1);
            SqrtEta[t] = SqrtEta[0] * Math.Pow(b, exponent);
        }

        Eta = new double[n];
        EtaPrev = new double[n];
        Alpha = new double[n];
        C1 = new double[n];
        C2 = new double[n];
        PosteriorVariance = new double[n];
        InputStd = new double[n];
        double k2 = p.Kappa * p.Kappa;
        for (int t = 0; t < n; t++)
        {
            Eta[t] = SqrtEta[t] * SqrtEta[t];
            EtaPrev[t] = t == 0 ? 0.0 : Eta[t - 1];
        }
        for (int t = 0; t < n; t++)
        {
            Alpha[t] = Eta[t] - EtaPrev[t];
            C1[t] = EtaPrev[t] / Eta[t];
            C2[t] = Alpha[t] / Eta[t];
            PosteriorVariance[t] = k2 * EtaPrev[t] / Eta[t] * Alpha[t];
            InputStd[t] = Math.Sqrt(k2 * Eta[t] + 1.0);
        }
        PosteriorVarianceClipped = (double[])PosteriorVariance.Clone();
        PosteriorVarianceClipped[0] = PosteriorVariance[1];
        Sigma = new double[n];
        for (int t = 1; t < n; t++) Sigma[t] = Math.Sqrt(PosteriorVarianceClipped[t]);
        PriorStd = p.Kappa * SqrtEta[n - 1];
    }
}
