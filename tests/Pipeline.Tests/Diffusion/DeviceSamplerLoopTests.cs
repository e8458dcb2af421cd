using ResShift.Engines.OnnxRuntime;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Diffusion;

/// <summary>
/// The sampler loop as device operations (issue 11 §3), tested without a GPU: its order against a recording
/// device, and its arithmetic through the kernels' C# counterparts and the real ONNX Runtime engine, bit for bit
/// against <see cref="DiffusionSampler"/>.
/// </summary>
public class DeviceSamplerLoopTests
{
    private static float[] Random(int count, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    private static async Task AssertSameBits(IEngineSet engines, DiffusionSchedule schedule, double noiseScale, TileNoiseOrigin[] origins, ulong seed)
    {
        ModelGeometry g = engines.Geometry;
        int n = origins.Length;
        float[] lq = Random(n * g.LqElements, 11);
        var constants = new SamplerConstants(schedule, noiseScale);
        var expected = new float[n * g.ImageElements];
        await new DiffusionSampler(engines, constants, new NoiseField(seed)).SampleAsync(lq, origins, expected, CancellationToken.None);
        var actual = new float[n * g.ImageElements];
        await new DeviceSamplerLoop(constants).SampleAsync(new HostSamplerDevice(engines, seed, n), lq, origins, actual, CancellationToken.None);
        int differing = expected.Where((e, i) => BitConverter.SingleToInt32Bits(e) != BitConverter.SingleToInt32Bits(actual[i])).Count();
        Assert.True(differing == 0, $"{differing} of {expected.Length} values differ");
        Assert.True(expected.Max() - expected.Min() > 1e-3, "the output is not trivially flat");
    }

    [Fact]
    public async Task On_onnx_runtime_the_device_loop_gives_the_host_samplers_bits()
    {
        ModelManifest m = new ModelRegistry(Path.Combine(TestData.RepositoryRoot(), "engines")).Get("tiny-x4");
        using IEngineSet engines = new OnnxRuntimeEngineSet(m.PathOf("encoder"), m.PathOf("denoiser"), m.PathOf("decoder"), m.Geometry, 2,
            new OnnxRuntimeEngineOptions { Session = new OrtSessionSettings { IntraOpThreads = 2 } });
        // Two tiles of one job at different latent origins, the second with half the noise (a job setting).
        TileNoiseOrigin[] origins = [new(77, 0, 0, 1f), new(77, 48, 16, 0.5f)];
        await AssertSameBits(engines, new DiffusionSchedule(m.ScheduleParameters), 1.0, origins, seed: 20261130);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)] // the deterministic path: no prior draw, no step noise
    public async Task On_the_fake_engine_three_jobs_keep_their_own_noise(double noiseScale)
    {
        var schedule = new DiffusionSchedule(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3));
        TileNoiseOrigin[] origins = [new(1, 0, 0), new(2, 0, 0), new(3, 8, 8, 0f)];
        await AssertSameBits(new FakeEngine { MaxBatch = 4 }, schedule, noiseScale, origins, seed: 5);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    public async Task On_the_fake_engine_a_one_step_schedule_gives_the_host_samplers_bits(double noiseScale)
    {
        var schedule = new DiffusionSchedule(new ScheduleParameters(15, 2.0, 0.04, 0.99, 0.3, [14]));
        await AssertSameBits(new FakeEngine { MaxBatch = 4 }, schedule, noiseScale, [new(1, 0, 0), new(2, 8, 0, 0.5f)], seed: 9);
    }

    [Fact]
    public async Task A_one_step_schedule_is_one_denoiser_call_at_t14_whose_x0_is_decoded()
    {
        var device = new RecordingDevice();
        var constants = new SamplerConstants(new DiffusionSchedule(new ScheduleParameters(15, 2.0, 0.04, 0.99, 0.3, [14])), 1.0);
        await new DeviceSamplerLoop(constants).SampleAsync(device, new float[48], [new(1, 0, 0)], new float[768], CancellationToken.None);
        Assert.Equal(
        [
            "tiles 1", "upload", "bicubic", "encode", "update 15 x0=False noise=True scaled=True",
            "denoise 14", "update 14 x0=True noise=False scaled=False",
            "decode", "download",
        ], device.Calls);
    }

    /// <summary>Records the order of device operations and the arguments of each update.</summary>
    private sealed class RecordingDevice : ISamplerDevice
    {
        public List<string> Calls { get; } = [];
        public void SetTiles(IReadOnlyList<TileNoiseOrigin> origins) => Calls.Add($"tiles {origins.Count}");
        public void UploadLq(ReadOnlyMemory<float> lq) => Calls.Add("upload");
        public void Upsample() => Calls.Add("bicubic");
        public ValueTask EncodeAsync(CancellationToken ct) { Calls.Add("encode"); return ValueTask.CompletedTask; }
        public void Update(int step, float c1, float c2, bool withX0, float sigma, float nextInputStd) =>
            Calls.Add($"update {step} x0={withX0} noise={(sigma != 0)} scaled={(nextInputStd != 0)}");
        public ValueTask DenoiseAsync(long t, CancellationToken ct) { Calls.Add($"denoise {t}"); return ValueTask.CompletedTask; }
        public ValueTask DecodeAsync(CancellationToken ct) { Calls.Add("decode"); return ValueTask.CompletedTask; }
        public ValueTask DownloadAsync(Memory<float> output, CancellationToken ct) { Calls.Add("download"); return ValueTask.CompletedTask; }
    }

    [Fact]
    public async Task One_upload_four_denoiser_steps_one_download()
    {
        var device = new RecordingDevice();
        var constants = new SamplerConstants(new DiffusionSchedule(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3)), 1.0);
        await new DeviceSamplerLoop(constants).SampleAsync(device, new float[48], [new(1, 0, 0)], new float[768], CancellationToken.None);
        Assert.Equal(
        [
            "tiles 1", "upload", "bicubic", "encode", "update 4 x0=False noise=True scaled=True",
            "denoise 3", "update 3 x0=True noise=True scaled=True",
            "denoise 2", "update 2 x0=True noise=True scaled=True",
            "denoise 1", "update 1 x0=True noise=True scaled=True",
            "denoise 0", "update 0 x0=True noise=False scaled=False",
            "decode", "download",
        ], device.Calls);
    }
}
