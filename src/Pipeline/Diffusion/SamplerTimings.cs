namespace ResShift.Pipeline.Diffusion;

/// <summary>Wall time of one batch in each stage of the loop.</summary>
public readonly record struct SamplerTimings(TimeSpan Preprocess, TimeSpan EncodeLatent, TimeSpan Denoise, TimeSpan DecodeLatent)
{
    public TimeSpan Total => Preprocess + EncodeLatent + Denoise + DecodeLatent;

    public static SamplerTimings operator +(SamplerTimings a, SamplerTimings b) =>
        new(a.Preprocess + b.Preprocess, a.EncodeLatent + b.EncodeLatent, a.Denoise + b.Denoise, a.DecodeLatent + b.DecodeLatent);
}
