namespace ResShift.Engines.OnnxRuntime;

/// <summary>An ONNX graph whose declared inputs or outputs do not match what the engine set feeds it.</summary>
public sealed class ModelContractException(string message) : Exception(message);
