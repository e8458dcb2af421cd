using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ResShift.Engines.OnnxRuntime;

namespace ResShift.Pipeline.Models;

/// <summary>
/// Runs the exporter's verification bundle (verify/index.json: per graph, input tensors and PyTorch's
/// outputs as raw little-endian files) through ONNX Runtime and compares elementwise with the
/// bundle's tolerance |onnx − torch| ≤ atol + rtol·|torch|.
/// </summary>
public static class VerificationBundle
{
    public static IReadOnlyList<GraphVerification> Run(ModelManifest manifest, OrtSessionSettings? settings = null)
    {
        if (manifest.Verification is null) throw new InvalidOperationException($"model '{manifest.Id}' has no verification bundle");
        string indexPath = Path.Combine(manifest.Directory, manifest.Verification);
        string dir = Path.GetDirectoryName(indexPath)!;
        using JsonDocument index = JsonDocument.Parse(File.ReadAllText(indexPath));
        JsonElement tolerance = index.RootElement.GetProperty("tolerance");
        var results = new List<GraphVerification>();
        foreach (JsonProperty graph in index.RootElement.GetProperty("graphs").EnumerateObject())
        {
            JsonElement tol = tolerance.GetProperty(graph.Name);
            double atol = tol.GetProperty("atol").GetDouble(), rtol = tol.GetProperty("rtol").GetDouble();
            using OrtSession session = OrtSession.FromFile(manifest.PathOf(graph.Name), settings);
            int cases = 0;
            long elements = 0, violations = 0;
            double maxAbs = 0, maxRel = 0;
            foreach (JsonElement c in graph.Value.EnumerateArray())
            {
                cases++;
                var inputNames = new List<string>();
                var inputs = new List<OrtValue>();
                try
                {
                    foreach (JsonProperty input in c.GetProperty("inputs").EnumerateObject())
                    {
                        inputNames.Add(input.Name);
                        inputs.Add(LoadTensor(dir, input.Value));
                    }
                    foreach (JsonProperty output in c.GetProperty("outputs").EnumerateObject())
                    {
                        float[] expected = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, output.Value.GetProperty("file").GetString()!))).ToArray();
                        float[] actual = new float[expected.Length];
                        long[] shape = Shape(output.Value);
                        using OrtValue result = OrtTensors.Over<float>(actual.AsMemory(), shape);
                        session.Run(inputNames, inputs, [output.Name], [result]);
                        for (int i = 0; i < expected.Length; i++)
                        {
                            double e = expected[i], d = Math.Abs(actual[i] - e);
                            maxAbs = Math.Max(maxAbs, d);
                            maxRel = Math.Max(maxRel, d / Math.Max(Math.Abs(e), 1e-6));
                            if (!(d <= atol + rtol * Math.Abs(e))) violations++;
                        }
                        elements += expected.Length;
                    }
                }
                finally
                {
                    foreach (OrtValue t in inputs) t.Dispose();
                }
            }
            results.Add(new GraphVerification(graph.Name, cases, elements, maxAbs, maxRel, atol, rtol, violations));
        }
        return results;
    }

    private static long[] Shape(JsonElement e) => e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();

    private static OrtValue LoadTensor(string dir, JsonElement spec)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(dir, spec.GetProperty("file").GetString()!));
        long[] shape = Shape(spec);
        return spec.GetProperty("dtype").GetString() switch
        {
            "float32" => OrtTensors.Over<float>(MemoryMarshal.Cast<byte, float>(bytes).ToArray().AsMemory(), shape),
            "int64" => OrtTensors.Over<long>(MemoryMarshal.Cast<byte, long>(bytes).ToArray().AsMemory(), shape),
            var other => throw new InvalidDataException($"verification tensor dtype '{other}' is not supported"),
        };
    }
}
