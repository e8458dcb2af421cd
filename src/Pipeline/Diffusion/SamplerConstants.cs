namespace ResShift.Pipeline.Diffusion;

/// <summary>
/// The float32 numbers the sampling loop multiplies with, derived once from the float64 schedule and
/// the noise scale s (s multiplies prior_std and sigma; s = 0 is the deterministic posterior-mean path).
/// </summary>
public sealed class SamplerConstants
{
    public int T { get; }

    /// <summary>The denoiser calls in order; the last one's x0 is the result.</summary>
    public int[] Timesteps { get; }
    public float NoiseScale { get; }
    public float PriorStd { get; }
    public float[] C1 { get; }
    public float[] C2 { get; }
    public float[] Sigma { get; }
    public float[] InputStd { get; }

    public SamplerConstants(DiffusionSchedule schedule, double noiseScale)
    {
        if (!(noiseScale >= 0 && noiseScale <= 1))
            throw new ArgumentOutOfRangeException(nameof(noiseScale), noiseScale, "noise scale must be in [0, 1]");
        T = schedule.T;
        Timesteps = schedule.Timesteps;
        NoiseScale = (float)noiseScale;
        PriorStd = (float)(schedule.PriorStd * noiseScale);
        C1 = Array.ConvertAll(schedule.C1, v => (float)v);
        C2 = Array.ConvertAll(schedule.C2, v => (float)v);
        Sigma = Array.ConvertAll(schedule.Sigma, v => (float)(v * noiseScale));
        InputStd = Array.ConvertAll(schedule.InputStd, v => (float)v);
    }
}
