using System.Globalization;

namespace ResShift.Pipeline.Fidelity;

/// <summary>
/// The least consistency an output must show to be delivered as is; null figures are not checked, so the
/// default (both null) is off. Calibrated per model (docs/FIDELITY.md): a job below it is held for review.
/// Settable, so configuration binds it (watch roots and queues: <c>"Fidelity": { "MinPsnrDb": 28, "MinSsim": 0.8 }</c>).
/// </summary>
public sealed record FidelityThreshold
{
    public double? MinPsnrDb { get; set; }
    public double? MinSsim { get; set; }

    public bool IsOff => MinPsnrDb is null && MinSsim is null;

    /// <summary>Why <paramref name="report"/> is below this threshold, or null when it passes (or the threshold is off).</summary>
    public string? Shortfall(FidelityReport? report)
    {
        if (IsOff || report is null) return null;
        var why = new List<string>(2);
        if (MinPsnrDb is double p && !(report.PsnrDb >= p))
            why.Add(string.Create(CultureInfo.InvariantCulture, $"PSNR {report.PsnrDb:F2} dB < {p:F2} dB"));
        if (MinSsim is double s && !(report.Ssim >= s))
            why.Add(string.Create(CultureInfo.InvariantCulture, $"SSIM {report.Ssim:F4} < {s:F4}"));
        return why.Count == 0 ? null : "output drifts from its input: " + string.Join(", ", why);
    }

    /// <summary>Configuration errors, for settings validation, naming the fields as the caller's users spell them.</summary>
    public IEnumerable<string> Problems(string where, string psnrName = "Fidelity.MinPsnrDb", string ssimName = "Fidelity.MinSsim")
    {
        if (MinPsnrDb is double p && !(p > 0 && p <= ConsistencyMeter.MaxPsnrDb))
            yield return string.Create(CultureInfo.InvariantCulture, $"{where}: {psnrName} must be in (0, {ConsistencyMeter.MaxPsnrDb}] dB, got {p}");
        if (MinSsim is double s && !(s > -1 && s <= 1))
            yield return string.Create(CultureInfo.InvariantCulture, $"{where}: {ssimName} must be in (-1, 1], got {s}");
    }
}
