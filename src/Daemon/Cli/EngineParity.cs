using System.Runtime.InteropServices;
using System.Text.Json;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Cli;

/// <summary>One network of the verification bundle run through an engine set, against PyTorch's output.</summary>
public sealed record NetworkParity(string Network, int Cases, long Elements, double MaxAbsError, double RelativeRmsError, string Rule, bool Passed);

/// <summary>One parity case restored end to end (tiling, sampler at noise 0, blending), against PyTorch's decoded output.</summary>
public sealed record RestoreParity(string Case, int Width, int Height, double Psnr, double MaxAbsError, int Max8BitDifference, double MinPsnr, bool Passed);

public sealed record ParityReport(string Model, string Engine, string Precision, IReadOnlyList<NetworkParity> Networks, IReadOnlyList<RestoreParity> Restores)
{
    public bool Passed => Networks.All(n => n.Passed) && Restores.All(r => r.Passed);
}

/// <summary>
/// `resshift engines parity`: each network on the committed verification tensors (verify/index.json) through the
/// engine set exactly as the sampler calls it, then each parity case (parity/index.json) through the whole
/// restore pipeline from its raw HWC uint8 input. Only our own code touches pixels: no libvips or Python imaging,
/// so it runs on a bare GPU machine. fp32 engines must meet the bundle's tolerance; fp16 engines a relative RMS
/// error of 2 % per network (fp16 carries ~3 significant digits through dozens of layers); every engine the PSNR floor.
/// </summary>
public static class EngineParity
{
    public const double Fp16RelativeRmsLimit = 0.02;

    public static int BatchNeeded(ModelManifest manifest)
    {
        using JsonDocument index = JsonDocument.Parse(File.ReadAllText(VerifyIndex(manifest)));
        int batch = 1;
        foreach (JsonProperty graph in index.RootElement.GetProperty("graphs").EnumerateObject())
            foreach (JsonElement c in graph.Value.EnumerateArray())
                foreach (JsonProperty input in c.GetProperty("inputs").EnumerateObject())
                    batch = Math.Max(batch, input.Value.GetProperty("shape")[0].GetInt32());
        return batch;
    }

    public static async Task<ParityReport> RunAsync(ModelManifest manifest, IEngineSet engines, double minPsnr, string? ppmDirectory, CancellationToken ct)
    {
        var networks = await NetworksAsync(manifest, engines, ct).ConfigureAwait(false);
        var restores = await RestoresAsync(manifest, engines, minPsnr, ppmDirectory, ct).ConfigureAwait(false);
        return new ParityReport(manifest.Id, engines.EngineName, engines.Precision, networks, restores);
    }

    private static string VerifyIndex(ModelManifest manifest) =>
        Path.Combine(manifest.Directory, manifest.Verification ?? throw new InvalidOperationException($"model '{manifest.Id}' has no verification bundle"));

    private static async Task<List<NetworkParity>> NetworksAsync(ModelManifest manifest, IEngineSet engines, CancellationToken ct)
    {
        string indexPath = VerifyIndex(manifest);
        string dir = Path.GetDirectoryName(indexPath)!;
        using JsonDocument index = JsonDocument.Parse(File.ReadAllText(indexPath));
        JsonElement tolerance = index.RootElement.GetProperty("tolerance");
        bool fp32 = engines.Precision == "fp32";
        var results = new List<NetworkParity>();
        foreach (JsonProperty graph in index.RootElement.GetProperty("graphs").EnumerateObject())
        {
            JsonElement tol = tolerance.GetProperty(graph.Name);
            double atol = tol.GetProperty("atol").GetDouble(), rtol = tol.GetProperty("rtol").GetDouble();
            int cases = 0;
            long elements = 0, violations = 0;
            double maxAbs = 0, errorSquares = 0, referenceSquares = 0;
            foreach (JsonElement c in graph.Value.EnumerateArray())
            {
                cases++;
                Dictionary<string, byte[]> inputs = c.GetProperty("inputs").EnumerateObject()
                    .ToDictionary(p => p.Name, p => File.ReadAllBytes(Path.Combine(dir, p.Value.GetProperty("file").GetString()!)));
                JsonProperty output = c.GetProperty("outputs").EnumerateObject().Single();
                float[] expected = Floats(File.ReadAllBytes(Path.Combine(dir, output.Value.GetProperty("file").GetString()!)));
                int batch = output.Value.GetProperty("shape")[0].GetInt32();
                float[] actual = new float[expected.Length];
                await RunGraphAsync(engines, graph.Name, inputs, actual, batch, ct).ConfigureAwait(false);
                for (int i = 0; i < expected.Length; i++)
                {
                    double e = expected[i], d = Math.Abs(actual[i] - e);
                    if (double.IsNaN(d)) d = double.PositiveInfinity;
                    maxAbs = Math.Max(maxAbs, d);
                    errorSquares += d * d;
                    referenceSquares += e * e;
                    if (!(d <= atol + rtol * Math.Abs(e))) violations++;
                }
                elements += expected.Length;
            }
            double relRms = referenceSquares > 0 ? Math.Sqrt(errorSquares / referenceSquares) : Math.Sqrt(errorSquares);
            bool passed = fp32 ? violations == 0 : relRms <= Fp16RelativeRmsLimit;
            string rule = fp32 ? $"|err| <= {atol:G3} + {rtol:G3}·|ref| ({violations} outside)" : $"relative RMS <= {Fp16RelativeRmsLimit:G3}";
            results.Add(new NetworkParity(graph.Name, cases, elements, maxAbs, relRms, rule, passed));
        }
        return results;
    }

    /// <summary>One bundle case through the engine set's own call for that network (the denoiser per distinct t).</summary>
    private static async Task RunGraphAsync(IEngineSet engines, string graph, Dictionary<string, byte[]> inputs, float[] output, int batch, CancellationToken ct)
    {
        ModelGeometry g = engines.Geometry;
        switch (graph)
        {
            case "encoder":
                await engines.EncodeAsync(Floats(inputs["image"]), output, batch, ct).ConfigureAwait(false);
                break;
            case "decoder":
                await engines.DecodeAsync(Floats(inputs["latent"]), output, batch, ct).ConfigureAwait(false);
                break;
            case "denoiser":
                float[] x = Floats(inputs["x"]), lq = Floats(inputs["lq"]);
                long[] t = MemoryMarshal.Cast<byte, long>(inputs["t"]).ToArray();
                if (t.Distinct().Count() == 1)
                {
                    await engines.DenoiseAsync(x, t[0], lq, output, batch, ct).ConfigureAwait(false);
                    break;
                }
                for (int i = 0; i < batch; i++) // the engine API takes one t per call
                    await engines.DenoiseAsync(x.AsMemory(i * g.LatentElements, g.LatentElements), t[i], lq.AsMemory(i * g.LqElements, g.LqElements),
                        output.AsMemory(i * g.LatentElements, g.LatentElements), 1, ct).ConfigureAwait(false);
                break;
            default:
                throw new InvalidDataException($"verification bundle graph '{graph}' is not one of encoder, denoiser, decoder");
        }
    }

    private static async Task<List<RestoreParity>> RestoresAsync(ModelManifest manifest, IEngineSet engines, double minPsnr, string? ppmDirectory, CancellationToken ct)
    {
        string indexPath = Path.Combine(manifest.Directory, "parity", "index.json");
        var results = new List<RestoreParity>();
        if (!File.Exists(indexPath)) return results;
        using JsonDocument index = JsonDocument.Parse(File.ReadAllText(indexPath));
        await using var pipeline = new RestorePipeline(engines, new DiffusionSchedule(manifest.ScheduleParameters),
            new PipelineOptions { NoiseScale = 0, MaxBatch = 1 });
        foreach (JsonProperty c in index.RootElement.GetProperty("cases").EnumerateObject())
        {
            int h = c.Value.GetProperty("lq_size_hw")[0].GetInt32(), w = c.Value.GetProperty("lq_size_hw")[1].GetInt32();
            byte[] File(string key) => System.IO.File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(indexPath)!,
                c.Value.GetProperty("files").GetProperty(key).GetProperty("file").GetString()!));
            var job = new MemoryJob(c.Name, w, h, HwcToPlanar(File("lq_uint8"), w, h));
            await pipeline.RunAsync(job, ct).ConfigureAwait(false);
            float[] actual = job.Output!.Pixels;
            float[] expected = Floats(File("decoded"));
            if (expected.Length != actual.Length)
                throw new InvalidDataException($"parity case {c.Name}: {actual.Length} output values, the reference has {expected.Length}");
            double se = 0, maxAbs = 0;
            int max8 = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                float e = 0.5f * Math.Clamp(expected[i], -1f, 1f) + 0.5f; // the pipeline's own output mapping
                double d = Math.Abs(actual[i] - (double)e);
                if (double.IsNaN(d)) d = double.PositiveInfinity;
                se += d * d;
                maxAbs = Math.Max(maxAbs, d);
                max8 = Math.Max(max8, Math.Abs(To8Bit(actual[i]) - To8Bit(e)));
            }
            double psnr = se == 0 ? double.PositiveInfinity : 10 * Math.Log10(expected.Length / se);
            int ow = job.Output.Width, oh = job.Output.Height;
            if (ppmDirectory is not null)
            {
                Directory.CreateDirectory(ppmDirectory);
                PortablePixmap.Write(Path.Combine(ppmDirectory, $"{c.Name}.ppm"), actual, ow, oh);
            }
            results.Add(new RestoreParity(c.Name, ow, oh, psnr, maxAbs, max8, minPsnr, psnr >= minPsnr));
        }
        return results;
    }

    private static int To8Bit(float v) => (int)MathF.Round(Math.Clamp(v, 0f, 1f) * 255f);

    /// <summary>Interleaved RGB uint8 → planar C×H×W in [-1, 1] (as the decoder path maps 8-bit input).</summary>
    public static float[] HwcToPlanar(byte[] hwc, int w, int h)
    {
        if (hwc.Length != 3 * w * h) throw new InvalidDataException($"{hwc.Length} bytes cannot be a {w}x{h} RGB image");
        var planar = new float[3 * h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < 3; ch++)
                    planar[(ch * h + y) * w + x] = hwc[(y * w + x) * 3 + ch] / 255f * 2f - 1f;
        return planar;
    }

    private static float[] Floats(byte[] bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    private sealed class MemoryJob(string name, int w, int h, float[] lq) : IRestoreJob
    {
        public string Name => name;
        public string Source => "parity";
        public ulong NoiseKey => 1;
        public RestoredImage? Output { get; private set; }
        public ValueTask<LqImage> LoadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(new LqImage(w, h, lq));

        public ValueTask WriteAsync(RestoredImage output, JobReport report, CancellationToken cancellationToken)
        {
            Output = output;
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Binary PPM (P6) writer: lets a machine without libvips hand back a viewable image.</summary>
public static class PortablePixmap
{
    /// <param name="planar">3×h×w in [0, 1].</param>
    public static void Write(string path, ReadOnlySpan<float> planar, int w, int h)
    {
        if (planar.Length < 3 * w * h) throw new ArgumentException($"{planar.Length} values cannot hold a 3x{h}x{w} image");
        byte[] header = System.Text.Encoding.ASCII.GetBytes($"P6\n{w} {h}\n255\n");
        var data = new byte[header.Length + 3 * w * h];
        header.CopyTo(data, 0);
        int plane = w * h;
        for (int i = 0; i < plane; i++)
            for (int ch = 0; ch < 3; ch++)
                data[header.Length + 3 * i + ch] = (byte)MathF.Round(Math.Clamp(planar[ch * plane + i], 0f, 1f) * 255f);
        File.WriteAllBytes(path, data);
    }
}
