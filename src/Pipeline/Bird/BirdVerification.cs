using System.Text.Json;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Models;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// Replays a BIRD export's verify/ bundle (x, t and PyTorch's ε, raw little-endian) through the UNet engine:
/// |ε_ort − ε_torch| ≤ tolerance for every element (tolerance from verify/index.json).
/// </summary>
public static class BirdVerification
{
    /// <param name="openUNet">Opens the UNet engine for a batch size (the backend factory): the bundle's batch.</param>
    public static GraphVerification Run(ModelManifest m, Func<int, IBatchedGraph> openUNet)
    {
        if (!m.IsBird) throw new ArgumentException($"model '{m.Id}' is not a BIRD model");
        string dir = Path.Combine(m.Directory, Path.GetDirectoryName(m.Verification ?? "verify/index.json")!);
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "index.json")));
        int batch = index.RootElement.GetProperty("batch").GetInt32();
        double tol = index.RootElement.GetProperty("tolerance").GetDouble();
        float[] x = Floats(Path.Combine(dir, "x.bin")), want = Floats(Path.Combine(dir, "eps.bin"));
        byte[] tb = File.ReadAllBytes(Path.Combine(dir, "t.bin"));
        long[] t = new long[tb.Length / 8];
        Buffer.BlockCopy(tb, 0, t, 0, tb.Length);
        if (t.Length != batch || x.Length != want.Length) throw new InvalidDataException($"{dir}: verification bundle does not match its index");
        float[] got = new float[want.Length];
        using (IBatchedGraph unet = openUNet(batch))
            BirdUNet.Run(unet, x, t, got, batch, CancellationToken.None);
        double maxAbs = 0, maxRel = 0;
        long bad = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double e = Math.Abs((double)got[i] - want[i]);
            maxAbs = Math.Max(maxAbs, e);
            maxRel = Math.Max(maxRel, e / Math.Max(1e-6, Math.Abs(want[i])));
            if (!(e <= tol)) bad++;
        }
        return new GraphVerification("unet", batch, got.Length, maxAbs, maxRel, tol, 0, bad);
    }

    private static float[] Floats(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        var a = new float[b.Length / 4];
        Buffer.BlockCopy(b, 0, a, 0, b.Length);
        return a;
    }
}
