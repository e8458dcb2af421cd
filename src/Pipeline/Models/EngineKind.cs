namespace ResShift.Pipeline.Models;

public enum EngineKind
{
    /// <summary>TensorRT when a GPU and built engines are present, otherwise CPU.</summary>
    Auto,
    Cpu,
    TensorRt,
}
