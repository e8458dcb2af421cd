using ResShift.Engines.OnnxRuntime;
using ResShift.Pipeline.Models;

namespace ResShift.Pipeline.Bird;

/// <summary>The exported BIRD UNet (inputs x, t; output eps) on ONNX Runtime's CPU provider.</summary>
public sealed class OrtUNetEngine : IUNetEngine
{
    private readonly OrtSession _session;
    private static readonly string[] In = ["x", "t"], Out = ["eps"];

    public int Image { get; }
    public int Channels { get; }

    public OrtUNetEngine(ModelManifest manifest, OrtSessionSettings? settings = null)
    {
        if (!manifest.IsBird) throw new ArgumentException($"model '{manifest.Id}' is not a BIRD model");
        _session = OrtSession.FromFile(manifest.PathOf("unet"), settings);
        Image = manifest.Bird!.Image;
        Channels = manifest.Bird.Channels;
    }

    public void Run(ReadOnlyMemory<float> x, ReadOnlyMemory<long> t, Memory<float> eps, int batch, CancellationToken cancellationToken)
    {
        int n = Channels * Image * Image;
        long[] shape = [batch, Channels, Image, Image];
        using var xt = OrtTensors.Over(x[..(batch * n)], shape);
        using var tt = OrtTensors.Over(t[..batch], batch);
        using var et = OrtTensors.Over(eps[..(batch * n)], shape);
        _session.Run(In, [xt, tt], Out, [et], cancellationToken);
    }

    public void Dispose()
    {
        _session.Dispose();
    }
}
