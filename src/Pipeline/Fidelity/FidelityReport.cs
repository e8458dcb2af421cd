namespace ResShift.Pipeline.Fidelity;

/// <summary>
/// How consistent one output is with its input once degraded back to the input's geometry:
/// PSNR (dB, capped at <see cref="ConsistencyMeter.MaxPsnrDb"/> for identical images) and SSIM on luminance,
/// and the method that produced them (degradation, luminance, SSIM window), so figures are only compared like for like.
/// </summary>
public sealed record FidelityReport(double PsnrDb, double Ssim, string Method);
