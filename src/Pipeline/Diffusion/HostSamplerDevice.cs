using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Resampling;

namespace ResShift.Pipeline.Diffusion;

/// <summary>
/// <see cref="ISamplerDevice"/> in host memory with the C# counterparts of the CUDA kernels (BicubicUpsampler for
/// rs_bicubic_up, NoiseField for rs_noise_at, the same float operations in the same order as rs_sampler_update) and
/// an <see cref="IEngineSet"/> for the networks. It pins down the device loop's order and arithmetic without a GPU:
/// driven by <see cref="DeviceSamplerLoop"/> it must give <see cref="DiffusionSampler"/>'s bits exactly.
/// </summary>
public sealed class HostSamplerDevice(IEngineSet engines, ulong seed, int maxBatch) : ISamplerDevice
{
    private readonly ModelGeometry _g = engines.Geometry;
    private readonly BicubicUpsampler _upsampler = new(engines.Geometry.Scale);
    private readonly NoiseField _noise = new(seed);
    private readonly float[] _lq = new float[maxBatch * engines.Geometry.LqElements];
    private readonly float[] _up = new float[maxBatch * engines.Geometry.ImageElements];
    private readonly float[] _x = new float[maxBatch * engines.Geometry.LatentElements];
    private readonly float[] _scaled = new float[maxBatch * engines.Geometry.LatentElements];
    private readonly float[] _x0 = new float[maxBatch * engines.Geometry.LatentElements];
    private readonly float[] _eps = new float[engines.Geometry.LatentElements];
    private readonly float[] _image = new float[maxBatch * engines.Geometry.ImageElements];
    private TileNoiseOrigin[] _tiles = [];

    private int N => _tiles.Length;

    public void SetTiles(IReadOnlyList<TileNoiseOrigin> origins)
    {
        if (origins.Count < 1 || origins.Count > maxBatch) throw new ArgumentOutOfRangeException(nameof(origins), origins.Count, $"1..{maxBatch} tiles");
        _tiles = origins.ToArray();
    }

    public void UploadLq(ReadOnlyMemory<float> lq)
    {
        if (lq.Length != N * _g.LqElements) throw new ArgumentException($"lq holds {lq.Length} floats, {N * _g.LqElements} expected");
        lq.Span.CopyTo(_lq);
    }

    public void Upsample()
    {
        ModelGeometry g = _g;
        for (int i = 0; i < N; i++) // rs_bicubic_up over planes of h×w
            _upsampler.Upsample(_lq.AsSpan(i * g.LqElements, g.LqElements), g.ImageChannels, g.LqTile, g.LqTile,
                _up.AsSpan(i * g.ImageElements, g.ImageElements));
    }

    public ValueTask EncodeAsync(CancellationToken ct) =>
        engines.EncodeAsync(_up.AsMemory(0, N * _g.ImageElements), _x.AsMemory(0, N * _g.LatentElements), N, ct);

    public void Update(int step, float c1, float c2, bool withX0, float sigma, float nextInputStd)
    {
        ModelGeometry g = _g;
        int per = g.LatentElements;
        for (int b = 0; b < N; b++)
        {
            TileNoiseOrigin tile = _tiles[b];
            float scale = sigma * tile.NoiseScale;
            if (scale != 0f)
                _noise.Fill(new NoiseRequest(tile.JobKey, step, g.LatentChannels, tile.LatentY, tile.LatentX, g.LatentTile, g.LatentTile), _eps);
            for (int i = 0; i < per; i++) // rs_sampler_update, one thread per element: the same operations in the same order
            {
                int at = b * per + i;
                float v = _x[at];
                if (withX0)
                {
                    v = v * c1;
                    v = _x0[at] * c2 + v;
                }
                if (scale != 0f) v = _eps[i] * scale + v;
                _x[at] = v;
                if (nextInputStd != 0f) _scaled[at] = v / nextInputStd;
            }
        }
    }

    public ValueTask DenoiseAsync(long t, CancellationToken ct) =>
        engines.DenoiseAsync(_scaled.AsMemory(0, N * _g.LatentElements), t, _lq.AsMemory(0, N * _g.LqElements),
            _x0.AsMemory(0, N * _g.LatentElements), N, ct);

    public ValueTask DecodeAsync(CancellationToken ct) =>
        engines.DecodeAsync(_x.AsMemory(0, N * _g.LatentElements), _image.AsMemory(0, N * _g.ImageElements), N, ct);

    public ValueTask DownloadAsync(Memory<float> output, CancellationToken ct)
    {
        _image.AsSpan(0, N * _g.ImageElements).CopyTo(output.Span);
        return ValueTask.CompletedTask;
    }
}
