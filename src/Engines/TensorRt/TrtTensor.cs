namespace ResShift.Engines.TensorRt;

/// <summary>nvinfer1::DataType values.</summary>
public enum TrtDataType { Float = 0, Half = 1, Int8 = 2, Int32 = 3, Bool = 4, UInt8 = 5, Fp8 = 6, BFloat16 = 7, Int64 = 8 }

/// <summary>One engine input or output as the engine declares it (-1 for a dynamic dimension).</summary>
public sealed record TrtTensor(string Name, bool IsInput, TrtDataType DataType, long[] Dims)
{
    public int ElementSize => DataType switch
    {
        TrtDataType.Float or TrtDataType.Int32 => 4,
        TrtDataType.Half or TrtDataType.BFloat16 => 2,
        TrtDataType.Int64 => 8,
        _ => 1,
    };
}

/// <summary>What `resshift engines build` asks TensorRT for.</summary>
/// <param name="StronglyTyped">Precision from the ONNX graph (TensorRT 11's only mode); false: the fp16 flag plus fp32 pins (10.x).</param>
public sealed record TrtBuildSettings(string Precision, int OptBatch, int MaxBatch, IReadOnlyList<string> Fp32LayerPatterns,
    long WorkspaceBytes = 0, int OptimizationLevel = -1, bool StronglyTyped = false)
{
    /// <summary>
    /// Kept in fp32 besides every normalization and softmax layer (matched by the shim by type): the VQ codebook
    /// distance. Name fragments follow the ONNX export (engines/): torch.onnx names nodes after module paths.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultFp32Layers = ["quantize", "GroupNorm", "group_norm", "Softmax", "softmax"];
}
