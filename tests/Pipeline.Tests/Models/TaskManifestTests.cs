using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Models;

/// <summary>The task contract read from the committed manifests, and manifests that contradict themselves.</summary>
public class TaskManifestTests
{
    private static ModelRegistry Registry() => new(Path.Combine(TestData.RepositoryRoot(), "engines"));

    [Fact]
    public void EveryReleasedModelIsKnownWithItsTaskShape()
    {
        ModelRegistry r = Registry();
        foreach (string id in new[] { "resshift-realsr-x4-v1", "resshift-realsr-x4-v2", "resshift-realsr-x4-v3", "resshift-bicsr-x4" })
        {
            ModelManifest m = r.Get(id);
            Assert.Equal((4, 0, 3, 64), (m.Scale, m.Geometry.MaskChannels, m.Geometry.LatentChannels, m.Geometry.ImageTile / 4));
            Assert.Equal(id.EndsWith("v1") || id.EndsWith("v2") ? 15 : 4, m.Steps);
            Assert.Equal(InputContract.Any with { Accepts = m.Input!.Accepts }, m.InputContract);
            Assert.False(m.IsDemo);
        }
        foreach (string id in new[] { "resshift-inpaint-imagenet", "resshift-inpaint-face", "tiny-inpaint" })
        {
            ModelManifest m = r.Get(id);
            Assert.Equal((1, 1, 4, 256, 64), (m.Scale, m.Geometry.MaskChannels, m.Geometry.LqChannels, m.Geometry.ImageTile, m.Geometry.LatentTile));
            Assert.True(m.InputContract.Mask);
            Assert.Null(m.InputContract.ExactSize);
        }
        foreach (string id in new[] { "resshift-faceir", "tiny-face" })
        {
            ModelManifest m = r.Get(id);
            Assert.Equal((1, 0, 8, 8, 512, 64), (m.Scale, m.Geometry.MaskChannels, m.Geometry.LatentFactor, m.Geometry.LatentChannels, m.Geometry.ImageTile, m.Geometry.LatentTile));
            Assert.Equal(512, m.InputContract.ExactSize);
        }
        Assert.True(r.Get("tiny-x4").IsDemo);
        Assert.Null(r.DefaultModel()); // no real model's ONNX files are committed
        Assert.Contains("make models MODEL=resshift-inpaint-face", r.Get("resshift-inpaint-face").HowToGet);
    }

    private static string Manifest(string dir, string input, int scale, string denoiserInputs)
    {
        string path = Path.Combine(dir, "model.json");
        File.WriteAllText(path, $$"""
            { "id": "x", "task": "inpaint", "scale": {{scale}}, "input": {{input}},
              "latent": { "factor": 4, "channels": 3 },
              "schedule": { "T": 4, "kappa": 2.0, "min_noise_level": 0.2, "etas_end": 0.99, "power": 0.3 },
              "lq_pad_multiple": 256, "tile": { "lq": 256 },
              "io": { "denoiser": { "inputs": [{{denoiserInputs}}], "outputs": ["x0"] } },
              "licence": { "id": "MIT", "commercial_use": true } }
            """);
        return path;
    }

    [Theory]
    [InlineData("""{ "mask": true }""", 4, "\"x\",\"t\",\"lq\",\"mask\"", "a mask input needs scale 1")]
    [InlineData("""{ "mask": true }""", 1, "\"x\",\"t\",\"lq\"", "io.denoiser.inputs lacks \"mask\"")]
    [InlineData("""{ "mask": false }""", 1, "\"x\",\"t\",\"lq\",\"mask\"", "io.denoiser.inputs has \"mask\"")]
    [InlineData("""{ "mask": false, "exact_size": 300 }""", 1, "\"x\",\"t\",\"lq\"", "input.exact_size 300 must be a positive multiple of lq_pad_multiple 256")]
    public void ContradictoryManifestsAreRefused(string input, int scale, string denoiserInputs, string expected)
    {
        string dir = Directory.CreateTempSubdirectory("resshift-manifest").FullName;
        var e = Assert.Throws<InvalidDataException>(() => ModelManifest.Load(Manifest(dir, input, scale, denoiserInputs)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void InputContractNamesTheJobAndWhatTheModelAccepts()
    {
        var face = new InputContract(false, 512, "an aligned face crop");
        var e = Assert.Throws<ImageDecodeException>(() => face.Check("me.png", new LqImage(256, 512, new float[3 * 256 * 512])));
        Assert.Equal(ImageDecodeFailure.WrongSize, e.Failure);
        Assert.Equal("me.png: the image is 256×512, this model takes exactly 512×512; the model accepts an aligned face crop", e.Message);
        face.Check("ok.png", new LqImage(512, 512, new float[3 * 512 * 512]));

        var inpaint = new InputContract(true, null, null);
        Assert.Equal(ImageDecodeFailure.Mask, Assert.Throws<ImageDecodeException>(() => inpaint.Check("a.png", new LqImage(2, 2, new float[12]))).Failure);
        inpaint.Check("a.png", new LqImage(2, 2, new float[16], channels: 4));
        Assert.Throws<ImageDecodeException>(() => InputContract.Any.Check("b.png", new LqImage(2, 2, new float[16], channels: 4)));
    }
}
