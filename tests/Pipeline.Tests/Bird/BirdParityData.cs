using System.Text.Json;
using ResShift.Pipeline.Bird;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Bird;

/// <summary>engines/bird-tiny/parity: tensors from the PyTorch reference (engines/bird/make_parity.py).</summary>
internal sealed class BirdParityData
{
    private readonly string _dir;
    public JsonElement Index { get; }
    public ModelManifest Manifest { get; }

    private BirdParityData(string dir, ModelManifest manifest)
    {
        _dir = dir;
        Manifest = manifest;
        Index = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "index.json"))).RootElement;
    }

    public static BirdParityData Load()
    {
        string engines = Path.Combine(TestData.RepositoryRoot(), "engines");
        ModelManifest m = new ModelRegistry(engines).Get("bird-tiny");
        return new BirdParityData(Path.Combine(m.Directory, "parity"), m);
    }

    public float[] Tensor(string name)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(_dir, name + ".bin"));
        var a = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, a, 0, bytes.Length);
        return a;
    }

    public static string Tag(BirdTask task) => task.Name().Replace('-', '_');

    /// <summary>The parity job of one task, set up exactly like the Python reference (same z0, y, mask, kernel network).</summary>
    public BirdInversion Job(BirdTask task)
    {
        int r = Manifest.Bird!.Image;
        var settings = BirdTaskSettings.For(task);
        float[] y = Tensor(Tag(task) + "_y");
        KernelNet? net = null;
        IDegradation h;
        switch (task)
        {
            case BirdTask.Deblur:
                JsonElement kn = Index.GetProperty("kernel_net");
                net = new KernelNet(kn.GetProperty("inputs").GetInt32(), kn.GetProperty("hidden").GetInt32(), kn.GetProperty("size").GetInt32());
                Tensor("kn_u").CopyTo(net.Input, 0);
                Tensor("kn_w1").CopyTo(net.W1);
                Tensor("kn_b1").CopyTo(net.B1);
                Tensor("kn_w2").CopyTo(net.W2);
                Tensor("kn_b2").CopyTo(net.B2);
                h = new BlurDegradation(3, r, r, net.KernelSize);
                break;
            case BirdTask.Sr8: h = new AveragePoolDegradation(3, r, r, 8); break;
            case BirdTask.Inpaint:
                h = new MaskDegradation(Tensor("mask"), 3);
                float[] masked = new float[y.Length];
                h.Apply(y, masked);
                y = masked;
                break;
            default: h = new IdentityDegradation(3 * r * r); break;
        }
        return new BirdInversion(settings, DdimSteps.From(Manifest.Bird), Tensor("z0"), y, h, net);
    }

    /// <summary>max |a − b| / max |b|: relative to the reference's scale, so near-zero entries do not dominate.</summary>
    public static double Relative(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(b.Length, a.Length);
        double d = 0, s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            d = Math.Max(d, Math.Abs((double)a[i] - b[i]));
            s = Math.Max(s, Math.Abs((double)b[i]));
        }
        return d / s;
    }

    public static double MaxAbs(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(b.Length, a.Length);
        double d = 0;
        for (int i = 0; i < a.Length; i++) d = Math.Max(d, Math.Abs((double)a[i] - b[i]));
        return d;
    }

    /// <summary>
    /// Relative error of a step's gradient against the reference's summary of it (index.json, make_parity.py):
    /// the largest difference in its L2 norm or in a signed sum against the fixed ±1 vectors, over the reference's
    /// norm. A ±1 projection of the error vector e has the size of ‖e‖, so this estimates ‖g − g_ref‖ / ‖g_ref‖.
    /// </summary>
    public static double RelativeToSummary(ReadOnlySpan<float> g, int step, JsonElement summary)
    {
        double norm = summary.GetProperty("norm").GetDouble(), mine = 0;
        foreach (float v in g) mine += (double)v * v;
        double worst = Math.Abs(Math.Sqrt(mine) - norm);
        int k = 0;
        foreach (JsonElement p in summary.GetProperty("projections").EnumerateArray())
        {
            double sum = 0;
            for (int i = 0; i < g.Length; i++) sum += Sign(i, step, k) * (double)g[i];
            worst = Math.Max(worst, Math.Abs(sum - p.GetDouble()));
            k++;
        }
        Assert.True(k > 0, "no projections in the summary");
        return worst / norm;
    }

    /// <summary>make_parity.py's signs(): a 32-bit integer hash of the element index, odd = −1.</summary>
    private static double Sign(int i, int step, int k)
    {
        const int projections = 4;
        uint h = unchecked((uint)i * 2654435761u + (uint)((step * projections + k + 1) * 40503));
        h ^= h >> 15;
        h = unchecked(h * 2246822519u);
        h ^= h >> 13;
        return (h & 1) != 0 ? -1.0 : 1.0;
    }
}
