namespace ResShift.Pipeline.Diffusion;

/// <summary>The five numbers that define a ResShift noise schedule (resshift.md §2).</summary>
public sealed record ScheduleParameters(int T, double Kappa, double MinNoiseLevel, double EtasEnd, double Power)
{
    public void Validate()
    {
        if (T < 2) throw new ArgumentException($"Schedule needs T >= 2 steps, got {T}.");
        if (!(Kappa > 0)) throw new ArgumentException($"kappa must be > 0, got {Kappa}.");
        if (!(MinNoiseLevel > 0)) throw new ArgumentException($"min_noise_level must be > 0, got {MinNoiseLevel}.");
        if (!(EtasEnd > 0 && EtasEnd < 1)) throw new ArgumentException($"etas_end must be in (0, 1), got {EtasEnd}.");
        if (!(Power > 0)) throw new ArgumentException($"power must be > 0, got {Power}.");
    }
}
