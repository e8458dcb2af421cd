namespace ResShift.Pipeline.Diffusion;

/// <summary>
/// The five numbers that define a ResShift noise schedule (resshift.md §2), and which of its steps the sampler runs.
/// <paramref name="Timesteps"/>: the denoiser calls in order, a prefix T-1, T-2, … of the loop whose last call's x0 is
/// the result (SinSR: [14] of a 15-step schedule, its <c>one_step</c> sampler); null = the whole loop T-1..0.
/// </summary>
public sealed record ScheduleParameters(int T, double Kappa, double MinNoiseLevel, double EtasEnd, double Power,
    IReadOnlyList<int>? Timesteps = null)
{
    public void Validate()
    {
        if (T < 2) throw new ArgumentException($"Schedule needs T >= 2 steps, got {T}.");
        if (!(Kappa > 0)) throw new ArgumentException($"kappa must be > 0, got {Kappa}.");
        if (!(MinNoiseLevel > 0)) throw new ArgumentException($"min_noise_level must be > 0, got {MinNoiseLevel}.");
        if (!(EtasEnd > 0 && EtasEnd < 1)) throw new ArgumentException($"etas_end must be in (0, 1), got {EtasEnd}.");
        if (!(Power > 0)) throw new ArgumentException($"power must be > 0, got {Power}.");
        if (Timesteps is { } steps)
        {
            // Each update x = c1[t]·x + c2[t]·x0 moves from t to t-1, so only a run from T-1 downwards is a valid loop.
            bool prefix = steps.Count >= 1 && steps.Count <= T && steps.Select((t, i) => t == T - 1 - i).All(ok => ok);
            if (!prefix)
                throw new ArgumentException($"timesteps [{string.Join(", ", steps)}] must be T-1, T-2, … (1 to {T} steps from {T - 1} down), got another order.");
        }
    }

    /// <summary>The denoiser calls in order: <see cref="Timesteps"/>, or T-1..0.</summary>
    public int[] DenoiserSteps => Timesteps?.ToArray() ?? Enumerable.Range(0, T).Reverse().ToArray();
}
