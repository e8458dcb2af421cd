using System.Numerics.Tensors;
using ResShift.Pipeline.Bird;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Tests.Support;
using Xunit.Abstractions;

namespace ResShift.Pipeline.Tests.Bird;

/// <summary>
/// Blind deblurring does something: a crop of the committed photo, blurred with a known 41×41 kernel plus
/// noise (as the reference's demo), restored with the tiny model. The data-fidelity loss must fall on average and
/// the estimated kernel's correlation with the true one must rise. The suite runs the committed 32² model;
/// RESSHIFT_BIRD_RESTORATION_MODEL (a folder with a bird model.json, e.g. a 256² tiny export) and
/// RESSHIFT_BIRD_RESTORATION_ITERATIONS give the figures of docs/PERFORMANCE.md.
/// </summary>
public sealed class BirdRestorationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Blind_deblurring_lowers_the_loss_and_moves_the_kernel_towards_the_true_one()
    {
        string? dir = Environment.GetEnvironmentVariable("RESSHIFT_BIRD_RESTORATION_MODEL");
        ModelManifest m = dir is { Length: > 0 } ? ModelManifest.Load(Path.Combine(dir, "model.json"))
            : new ModelRegistry(Path.Combine(TestData.RepositoryRoot(), "engines")).Get("bird-tiny");
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("RESSHIFT_BIRD_RESTORATION_ITERATIONS"), out int n) ? n : 40;
        int r = m.Bird!.Image, d = 3 * r * r;

        float[] clean = PhotoCrop(r);
        float[] trueKernel = GaussianKernel(41, 4.0, 1.5, 0.5);
        var blur = new BlurDegradation(3, r, r, 41);
        trueKernel.CopyTo(blur.Kernel, 0);
        float[] y = new float[d], noise = new float[d];
        blur.Apply(clean, y);
        new NoiseField(5).Fill(new NoiseRequest(1, 0, 3, 0, 0, r, r), noise);
        TensorPrimitives.MultiplyAdd(noise, 0.02f, y, y);

        var net = KernelNet.Released();
        net.Initialise(9, 2);
        float[] z0 = new float[d];
        new NoiseField(9).Fill(new NoiseRequest(2, 0, 3, 0, 0, r, r), z0);
        var job = new BirdInversion(BirdTaskSettings.For(BirdTask.Deblur), DdimSteps.From(m.Bird), z0, y, new BlurDegradation(3, r, r, 41), net);
        float[] k = new float[41 * 41];
        net.Forward(k);
        double corr0 = TensorPrimitives.CosineSimilarity(Centred(k), Centred(trueKernel));

        using var engine = BirdEngine.Open(m);
        await using var batcher = new UNetBatcher(engine, 1, TimeSpan.Zero);
        var losses = new List<double>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) losses.Add(await job.IterateAsync(batcher, CancellationToken.None));
        net.Forward(k);
        double corr1 = TensorPrimitives.CosineSimilarity(Centred(k), Centred(trueKernel));
        int q = Math.Max(1, iterations / 4);
        double first = losses.Take(q).Average(), last = losses.TakeLast(q).Average();
        output.WriteLine($"{m.Id} {r}×{r}, {iterations} iterations in {started.Elapsed.TotalSeconds:F1} s: " +
                         $"loss first quarter {first:E4} → last quarter {last:E4} (first {losses[0]:E4}, last {losses[^1]:E4}); " +
                         $"kernel correlation with the true kernel {corr0:F4} → {corr1:F4}");
        for (int i = 0; i < losses.Count; i += Math.Max(1, losses.Count / 10)) output.WriteLine($"  iteration {i + 1}: loss {losses[i]:E4}");
        Assert.True(last < first, $"the loss did not fall on average: {first} → {last}");
        Assert.True(corr1 > corr0, $"the kernel did not move towards the true one: {corr0} → {corr1}");
    }

    /// <summary>Centred square crop of the committed photo, bilinear to r×r, in [−1, 1].</summary>
    private static float[] PhotoCrop(int r)
    {
        using DecodedImage src = new ImageDecoder().Decode(TestData.PathOf("images", "photo-aqua.png"));
        int side = Math.Min(src.Width, src.Height), x0 = (src.Width - side) / 2, y0 = (src.Height - side) / 2;
        var dst = new float[3 * r * r];
        for (int c = 0; c < 3; c++)
        {
            Span<float> s = src.Pixels.Plane(c);
            for (int y = 0; y < r; y++)
            for (int x = 0; x < r; x++)
            {
                float fy = Math.Clamp((y + 0.5f) * side / r - 0.5f, 0, side - 1), fx = Math.Clamp((x + 0.5f) * side / r - 0.5f, 0, side - 1);
                int iy = Math.Min((int)fy, side - 2), ix = Math.Min((int)fx, side - 2);
                float wy = fy - iy, wx = fx - ix;
                int o = (y0 + iy) * src.Width + x0 + ix;
                float v = (1 - wy) * ((1 - wx) * s[o] + wx * s[o + 1]) + wy * ((1 - wx) * s[o + src.Width] + wx * s[o + src.Width + 1]);
                dst[(c * r + y) * r + x] = 2 * v - 1;
            }
        }
        return dst;
    }

    /// <summary>A normalised, rotated anisotropic Gaussian (σ along and across the direction, angle in radians).</summary>
    private static float[] GaussianKernel(int size, double sigmaAlong, double sigmaAcross, double angle)
    {
        var k = new float[size * size];
        int h = size / 2;
        double c = Math.Cos(angle), s = Math.Sin(angle);
        for (int i = 0; i < size; i++)
        for (int j = 0; j < size; j++)
        {
            double u = (j - h) * c + (i - h) * s, v = -(j - h) * s + (i - h) * c;
            k[i * size + j] = (float)Math.Exp(-0.5 * (u * u / (sigmaAlong * sigmaAlong) + v * v / (sigmaAcross * sigmaAcross)));
        }
        TensorPrimitives.Divide(k, TensorPrimitives.Sum(k), k);
        return k;
    }

    private static float[] Centred(float[] k)
    {
        var c = (float[])k.Clone();
        TensorPrimitives.Subtract(c, TensorPrimitives.Average(c), c);
        return c;
    }
}
