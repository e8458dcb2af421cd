using ResShift.Engines.Abstractions;
using ResShift.Engines.OnnxRuntime;

namespace ResShift.Engines.Tests.OnnxRuntime;

public class EngineSetTests
{
    private static readonly ModelGeometry G = TestModels.Geometry;

    private static OnnxRuntimeEngineSet Create(int maxBatch = 4, OnnxRuntimeEngineOptions? options = null,
        string encoder = "encoder.onnx", string denoiser = "denoiser.onnx", string decoder = "decoder.onnx", ModelGeometry? geometry = null) =>
        new(TestModels.PathOf(encoder), TestModels.PathOf(denoiser), TestModels.PathOf(decoder), geometry ?? G, maxBatch, options);

    // encoder.onnx: latent[n,o,i,j] = sum_c E[o,c] * mean of the 4x4 block (i,j) of image[n,c]
    private static readonly float[,] E = { { 1f, 0f, 0f }, { 0f, 0.5f, 0.5f } };

    private static float[] ExpectedLatent(float[] image, int n)
    {
        var latent = new float[n * G.LatentElements];
        for (var b = 0; b < n; b++)
            for (var o = 0; o < 2; o++)
                for (var i = 0; i < 4; i++)
                    for (var j = 0; j < 4; j++)
                    {
                        double sum = 0;
                        for (var c = 0; c < 3; c++)
                        {
                            double block = 0;
                            for (var y = 0; y < 4; y++)
                                for (var x = 0; x < 4; x++)
                                    block += image[b * G.ImageElements + c * 256 + (4 * i + y) * 16 + 4 * j + x];
                            sum += E[o, c] * block / 16;
                        }
                        latent[b * G.LatentElements + o * 16 + i * 4 + j] = (float)sum;
                    }
        return latent;
    }

    // denoiser.onnx: x0 = 0.5 * x + mean over channels of lq + t
    private static float[] ExpectedX0(float[] x, long t, float[] lq, int n)
    {
        var x0 = new float[n * G.LatentElements];
        for (var b = 0; b < n; b++)
            for (var c = 0; c < 2; c++)
                for (var p = 0; p < 16; p++)
                {
                    var lqMean = (lq[b * G.LqElements + p] + lq[b * G.LqElements + 16 + p] + lq[b * G.LqElements + 32 + p]) / 3f;
                    x0[b * G.LatentElements + c * 16 + p] = 0.5f * x[b * G.LatentElements + c * 16 + p] + lqMean + t;
                }
        return x0;
    }

    // decoder.onnx: image[n,k,y,x] = sum_o D[k,o] * latent[n,o,y/4,x/4] + bias[k]
    private static readonly float[,] D = { { 1f, 0f }, { 0f, 1f }, { 1f, 1f } };
    private static readonly float[] Bias = [0f, 0.25f, -0.5f];

    private static float[] ExpectedImage(float[] latent, int n)
    {
        var image = new float[n * G.ImageElements];
        for (var b = 0; b < n; b++)
            for (var k = 0; k < 3; k++)
                for (var y = 0; y < 16; y++)
                    for (var x = 0; x < 16; x++)
                    {
                        var p = (y / 4) * 4 + x / 4;
                        var v = D[k, 0] * latent[b * G.LatentElements + p] + D[k, 1] * latent[b * G.LatentElements + 16 + p] + Bias[k];
                        image[b * G.ImageElements + k * 256 + y * 16 + x] = v;
                    }
        return image;
    }

    [Fact]
    public void Describes_itself()
    {
        using var engine = Create(maxBatch: 3);
        Assert.Equal("onnxruntime-cpu", engine.EngineName);
        Assert.Equal("fp32", engine.Precision);
        Assert.Equal(3, engine.MaxBatch);
        Assert.Same(G, engine.Geometry);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Encode_denoise_decode_match_hand_computation(bool inline)
    {
        using var engine = Create(options: new OnnxRuntimeEngineOptions { RunInline = inline });
        const int n = 3;
        var image = TestModels.Pattern(n * G.ImageElements, 1);
        var latent = new float[n * G.LatentElements];
        await engine.EncodeAsync(image, latent, n, CancellationToken.None);
        TestModels.AssertClose(ExpectedLatent(image, n), latent);

        var lq = TestModels.Pattern(n * G.LqElements, 2);
        var x0 = new float[n * G.LatentElements];
        await engine.DenoiseAsync(latent, 2, lq, x0, n, CancellationToken.None);
        TestModels.AssertClose(ExpectedX0(latent, 2, lq, n), x0);

        var output = new float[n * G.ImageElements];
        await engine.DecodeAsync(x0, output, n, CancellationToken.None);
        TestModels.AssertClose(ExpectedImage(x0, n), output);
    }

    [Fact]
    public async Task Larger_buffers_are_used_only_up_to_the_batch()
    {
        using var engine = Create();
        var latent = TestModels.Pattern(4 * G.LatentElements, 3);
        var image = Enumerable.Repeat(42f, 4 * G.ImageElements).ToArray();
        await engine.DecodeAsync(latent, image, 2, CancellationToken.None);
        TestModels.AssertClose(ExpectedImage(latent, 2), image.AsSpan(0, 2 * G.ImageElements));
        Assert.All(image.Skip(2 * G.ImageElements), v => Assert.Equal(42f, v));
    }

    [Fact]
    public async Task Batch_of_one_and_batch_of_n_agree()
    {
        using var engine = Create();
        const int n = 4;
        var x = TestModels.Pattern(n * G.LatentElements, 4);
        var lq = TestModels.Pattern(n * G.LqElements, 5);
        var batched = new float[n * G.LatentElements];
        await engine.DenoiseAsync(x, 1, lq, batched, n, CancellationToken.None);

        for (var b = 0; b < n; b++)
        {
            var single = new float[G.LatentElements];
            await engine.DenoiseAsync(x.AsMemory(b * G.LatentElements, G.LatentElements), 1,
                lq.AsMemory(b * G.LqElements, G.LqElements), single, 1, CancellationToken.None);
            Assert.Equal(batched.AsSpan(b * G.LatentElements, G.LatentElements).ToArray(), single);
        }
    }

    [Fact]
    public async Task Concurrent_calls_from_many_threads_give_identical_results()
    {
        using var engine = Create(options: new OnnxRuntimeEngineOptions { Session = new OrtSessionSettings { IntraOpThreads = 1 } });
        const int n = 2, threads = 8, rounds = 25;
        var inputs = Enumerable.Range(0, threads).Select(i => (x: TestModels.Pattern(n * G.LatentElements, 10 + i), lq: TestModels.Pattern(n * G.LqElements, 30 + i))).ToArray();
        var expected = new float[threads][];
        for (var i = 0; i < threads; i++)
        {
            expected[i] = new float[n * G.LatentElements];
            await engine.DenoiseAsync(inputs[i].x, i, inputs[i].lq, expected[i], n, CancellationToken.None);
            TestModels.AssertClose(ExpectedX0(inputs[i].x, i, inputs[i].lq, n), expected[i]);
        }

        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(i => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var r = 0; r < rounds; r++)
            {
                var output = new float[n * G.LatentElements];
                engine.DenoiseAsync(inputs[i].x, i, inputs[i].lq, output, n, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                Assert.Equal(expected[i], output);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(workers);
    }

    [Fact]
    public void Graph_with_wrong_io_names_is_rejected_at_load()
    {
        var error = Assert.Throws<ModelContractException>(() => Create(encoder: "encoder_wrong_name.onnx"));
        Assert.Contains("encoder", error.Message);
        Assert.Contains("encoder_wrong_name.onnx", error.Message);
        Assert.Contains("missing input 'image'", error.Message);
        Assert.Contains("unexpected input 'img'", error.Message);
    }

    [Fact]
    public void Graph_with_wrong_element_type_is_rejected_at_load()
    {
        var error = Assert.Throws<ModelContractException>(() => Create(denoiser: "denoiser_float_t.onnx"));
        Assert.Contains("input 't' is Float, expected Int64", error.Message);
    }

    [Fact]
    public void Graph_that_does_not_fit_the_geometry_is_rejected_at_load()
    {
        var wrong = G with { LatentChannels = 3 };
        var error = Assert.Throws<ModelContractException>(() => Create(geometry: wrong));
        Assert.Contains("output 'latent' dimension 1 is 2, expected 3", error.Message);
    }

    [Fact]
    public void Missing_model_file_fails_with_the_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), "absent-encoder.onnx");
        var error = Assert.Throws<OnnxRuntimeException>(() =>
            new OnnxRuntimeEngineSet(missing, TestModels.PathOf("denoiser.onnx"), TestModels.PathOf("decoder.onnx"), G, 2));
        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public async Task Bad_batch_and_short_buffers_are_argument_errors()
    {
        using var engine = Create(maxBatch: 2);
        var image = new float[3 * G.ImageElements];
        var latent = new float[3 * G.LatentElements];
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await engine.EncodeAsync(image, latent, 3, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await engine.EncodeAsync(image, latent, 0, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(async () => await engine.EncodeAsync(image.AsMemory(0, 10), latent, 1, CancellationToken.None));
    }

    [Fact]
    public async Task Cancelled_token_is_honoured()
    {
        using var engine = Create(options: new OnnxRuntimeEngineOptions { RunInline = true });
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var latent = new float[G.LatentElements];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await engine.EncodeAsync(new float[G.ImageElements], latent, 1, cts.Token));
    }

    [Fact]
    public async Task Use_after_dispose_throws_ObjectDisposedException()
    {
        var engine = Create();
        var latent = new float[G.LatentElements];
        await engine.EncodeAsync(new float[G.ImageElements], latent, 1, CancellationToken.None);
        engine.Dispose();
        engine.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await engine.EncodeAsync(new float[G.ImageElements], latent, 1, CancellationToken.None));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await engine.DenoiseAsync(latent, 0, new float[G.LqElements], latent, 1, CancellationToken.None));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await engine.DecodeAsync(latent, new float[G.ImageElements], 1, CancellationToken.None));
    }
}
