using ResShift.Engines.Cuda;
using ResShift.Engines.TensorRt;

namespace ResShift.Engines.Tests.TensorRt;

public class TrtEngineCacheTests
{
    private static readonly string Sha = new('a', 64);

    private static TrtEngineKey Key() => new("denoiser", Sha, "NVIDIA H100 80GB HBM3", "9.0", 101601, "fp16", 1, 8, 8, "x:3x64x64;t;lq:3x64x64");

    [Fact]
    public void File_name_is_stable_and_readable()
    {
        Assert.Equal(Key().FileName, Key().FileName);
        Assert.StartsWith("denoiser-fp16-b1-8-8-sm90-trt101601-", Key().FileName);
        Assert.EndsWith(".engine", Key().FileName);
        Assert.Equal("denoiser-fp16-b1-8-8-sm90-trt101601-".Length + 12 + ".engine".Length, Key().FileName.Length);
    }

    public static TheoryData<string, TrtEngineKey> Variants() => new()
    {
        { "network", Key() with { Network = "decoder" } },
        { "onnx", Key() with { OnnxSha256 = new string('b', 64) } },
        { "gpu", Key() with { GpuName = "NVIDIA H200" } },
        { "cc", Key() with { ComputeCapability = "8.9" } },
        { "trt", Key() with { TensorRtVersion = 101600 } },
        { "precision", Key() with { Precision = "fp32" } },
        { "min", Key() with { MinBatch = 2 } },
        { "opt", Key() with { OptBatch = 4 } },
        { "max", Key() with { MaxBatch = 16 } },
        { "shapes", Key() with { InputShapes = "x:3x128x128;t;lq:3x128x128" } },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_component_changes_the_file_name(string component, TrtEngineKey changed) =>
        Assert.True(Key().FileName != changed.FileName, $"{component} did not change the name");

    [Fact]
    public void Gpu_name_only_differs_in_the_hash()
    {
        // Same model name on two boards of one generation must still not share an engine.
        var a = Key() with { GpuName = "NVIDIA L4" };
        var b = Key() with { GpuName = "NVIDIA L40S" };
        Assert.NotEqual(a.FileName, b.FileName);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("zz")]
    public void Bad_sha_is_rejected(string sha) => Assert.Throws<ArgumentException>(() => (Key() with { OnnxSha256 = sha }).FileName);

    [Fact]
    public void Bad_profile_and_precision_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => (Key() with { MinBatch = 0 }).FileName);
        Assert.Throws<ArgumentException>(() => (Key() with { OptBatch = 9 }).FileName);
        Assert.Throws<ArgumentException>(() => (Key() with { Precision = "int8" }).FileName);
        Assert.Throws<ArgumentException>(() => (Key() with { GpuName = " " }).FileName);
    }

    [Fact]
    public void Store_and_load_round_trip_atomically()
    {
        var dir = Directory.CreateTempSubdirectory("trt-cache-");
        try
        {
            var cache = new TrtEngineCache(Path.Combine(dir.FullName, "trt"));
            Assert.False(cache.Contains(Key()));
            Assert.Null(cache.TryLoad(Key()));
            string path = cache.Store(Key(), [1, 2, 3]);
            Assert.Equal(cache.PathFor(Key()), path);
            Assert.Equal(new byte[] { 1, 2, 3 }, cache.TryLoad(Key()));
            Assert.Empty(Directory.GetFiles(cache.Directory, "*.tmp-*"));
            Assert.Throws<ArgumentException>(() => cache.Store(Key(), []));
            string timing = cache.TimingCachePath("NVIDIA H100 80GB HBM3", "9.0", 101601);
            Assert.EndsWith("timing-NVIDIA_H100_80GB_HBM3-sm90-trt101601.cache", timing);
            Assert.Empty(cache.LoadTimingCache(timing));
            cache.StoreTimingCache(timing, [9]);
            Assert.Equal(new byte[] { 9 }, cache.LoadTimingCache(timing));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Sha256_of_a_file_is_lowercase_hex()
    {
        string f = Path.GetTempFileName();
        try
        {
            File.WriteAllText(f, "abc");
            Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", TrtEngineKey.Sha256OfFile(f));
        }
        finally
        {
            File.Delete(f);
        }
    }

    [Fact]
    public void Larger_built_profiles_serve_smaller_batches()
    {
        Assert.Equal([3, 4, 8, 16, 32, 64], TensorRtLoader.CandidateMaxBatches(3));
        Assert.Equal([64], TensorRtLoader.CandidateMaxBatches(64));
    }

    [Fact]
    public void Missing_engines_are_reported_by_file_name()
    {
        var dir = Directory.CreateTempSubdirectory("trt-find-");
        try
        {
            string onnx = Path.Combine(dir.FullName, "encoder.onnx");
            File.WriteAllText(onnx, "not really onnx");
            var device = new CudaDevice(0, "NVIDIA L4", 8, 9, 24L << 30);
            var files = new[] { new TrtNetworkFile("encoder", onnx, "image:3x256x256") };
            var cache = new TrtEngineCache(Path.Combine(dir.FullName, "trt"));
            string? missing = TensorRtLoader.FindPlans(cache, files, device, 101601, "fp16", 4, out _);
            Assert.NotNull(missing);
            Assert.Contains("encoder-fp16-b1-4-4-sm89-trt101601-", missing);
            Assert.Contains("resshift engines build", missing);

            var key = TensorRtLoader.KeyFor(files[0], TrtEngineKey.Sha256OfFile(onnx), device, 101601, "fp16", 8);
            cache.Store(key, [1]);
            Assert.Null(TensorRtLoader.FindPlans(cache, files, device, 101601, "fp16", 4, out string[] plans));
            Assert.Equal(cache.PathFor(key), plans[0]);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
