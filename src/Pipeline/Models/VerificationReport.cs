namespace ResShift.Pipeline.Models;

/// <summary>One graph's verification cases run through ONNX Runtime against the exporter's PyTorch outputs.</summary>
public sealed record GraphVerification(string Graph, int Cases, long Elements, double MaxAbsError, double MaxRelativeError,
    double Atol, double Rtol, long Violations)
{
    public bool Passed => Violations == 0 && Cases > 0;
}
