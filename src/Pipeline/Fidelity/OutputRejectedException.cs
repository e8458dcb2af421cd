namespace ResShift.Pipeline.Fidelity;

/// <summary>Why an output can never be delivered, whatever the thresholds: it is not a picture of the input at all.</summary>
public enum OutputDefect
{
    /// <summary>NaN or ±Inf reached the output (fp16 overflow, a broken engine build, a corrupt model file).</summary>
    NonFinite,

    /// <summary>Every output pixel has the same value while the input has structure.</summary>
    Constant,
}

/// <summary>The job fails with this instead of writing an output.</summary>
public sealed class OutputRejectedException(OutputDefect defect, string message) : Exception(message)
{
    public OutputDefect Defect { get; } = defect;
}
