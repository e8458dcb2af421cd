using ResShift.Pipeline.Models;

namespace ResShift.Pipeline.Bird;

/// <summary>One deterministic DDIM step t → t − Δt: √ᾱ_t, √(1−ᾱ_t) and the same for the next level (ᾱ = 1 after t = 0).</summary>
public readonly record struct DdimStep(long T, float SqrtA, float SqrtOneMinusA, float SqrtANext, float SqrtOneMinusANext);

/// <summary>The fixed timesteps of one BIRD iteration (900, 800, …, 0 for T = 1000, Δt = 100) and their coefficients.</summary>
public static class DdimSteps
{
    public static DdimStep[] From(BirdSpec spec)
    {
        // ᾱ in float64 (linear β), rounded to float32 once per coefficient, as the PyTorch reference does.
        var abar = new double[spec.T];
        double acc = 1;
        for (int i = 0; i < spec.T; i++)
        {
            double beta = spec.T == 1 ? spec.BetaStart : spec.BetaStart + (spec.BetaEnd - spec.BetaStart) * i / (spec.T - 1);
            acc *= 1 - beta;
            abar[i] = acc;
        }
        var steps = new List<DdimStep>();
        for (int t = spec.T - spec.DeltaT; t >= 0; t -= spec.DeltaT)
        {
            double a = abar[t];
            double an = t >= spec.DeltaT ? abar[t - spec.DeltaT] : 1.0;
            steps.Add(new DdimStep(t, (float)Math.Sqrt(a), (float)Math.Sqrt(1 - a), (float)Math.Sqrt(an), (float)Math.Sqrt(1 - an)));
        }
        return [.. steps];
    }
}
