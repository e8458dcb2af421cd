using System.Security.Cryptography;
using System.Text;

namespace ResShift.Engines.TensorRt;

/// <summary>
/// Everything a serialized TensorRT engine depends on (as vs-mlrt keys its engines): the GPU (name and compute
/// capability: engines are not portable across GPU models), the TensorRT version (nor across versions), the
/// exact ONNX bytes, the precision and the shape profile. Any change gives a different file name.
/// </summary>
public sealed record TrtEngineKey(string Network, string OnnxSha256, string GpuName, string ComputeCapability,
    int TensorRtVersion, string Precision, int MinBatch, int OptBatch, int MaxBatch, string InputShapes)
{
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Network)) throw new ArgumentException("network name is empty");
        if (OnnxSha256.Length != 64 || !OnnxSha256.All(Uri.IsHexDigit)) throw new ArgumentException($"'{OnnxSha256}' is not a sha256 hex digest");
        if (string.IsNullOrWhiteSpace(GpuName)) throw new ArgumentException("GPU name is empty");
        if (Precision is not ("fp16" or "fp32")) throw new ArgumentException($"precision '{Precision}' (fp16 or fp32)");
        if (MinBatch < 1 || OptBatch < MinBatch || MaxBatch < OptBatch)
            throw new ArgumentException($"batch profile {MinBatch}/{OptBatch}/{MaxBatch} must satisfy 1 <= min <= opt <= max");
        if (TensorRtVersion <= 0) throw new ArgumentException("TensorRT version must be positive");
    }

    /// <summary>The canonical text every field contributes to; its hash is the unique part of the file name.</summary>
    public string Canonical =>
        $"network={Network}\nonnx={OnnxSha256.ToLowerInvariant()}\ngpu={GpuName}\ncc={ComputeCapability}\ntrt={TensorRtVersion}\n" +
        $"precision={Precision}\nbatch={MinBatch}/{OptBatch}/{MaxBatch}\nshapes={InputShapes}\n";

    /// <summary>Readable and unique: "denoiser-fp16-b1-4-8-sm89-trt101601-3f2a9c0d1e4b.engine".</summary>
    public string FileName
    {
        get
        {
            Validate();
            string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical)))[..12];
            string cc = ComputeCapability.Replace(".", "", StringComparison.Ordinal);
            return $"{Sanitize(Network)}-{Precision}-b{MinBatch}-{OptBatch}-{MaxBatch}-sm{cc}-trt{TensorRtVersion}-{hash}.engine";
        }
    }

    public static string Sha256OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Sanitize(string s) => new(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
}

/// <summary>
/// A folder of built engines plus one timing cache per GPU model and TensorRT version (timing caches are
/// reusable across networks, which makes rebuilding the next model much faster). Writes are atomic
/// (temp file + rename) so a crashed build never leaves a truncated engine behind.
/// </summary>
public sealed class TrtEngineCache
{
    public TrtEngineCache(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = directory;
    }

    public string Directory { get; }

    public string PathFor(TrtEngineKey key) => Path.Combine(Directory, key.FileName);

    public bool Contains(TrtEngineKey key) => File.Exists(PathFor(key));

    public byte[]? TryLoad(TrtEngineKey key) => Contains(key) ? File.ReadAllBytes(PathFor(key)) : null;

    public string Store(TrtEngineKey key, ReadOnlySpan<byte> plan)
    {
        if (plan.IsEmpty) throw new ArgumentException("empty engine plan", nameof(plan));
        return WriteAtomic(PathFor(key), plan);
    }

    public string TimingCachePath(string gpuName, string computeCapability, int tensorRtVersion)
    {
        string gpu = new(gpuName.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        return Path.Combine(Directory, $"timing-{gpu}-sm{computeCapability.Replace(".", "", StringComparison.Ordinal)}-trt{tensorRtVersion}.cache");
    }

    public byte[] LoadTimingCache(string path) => File.Exists(path) ? File.ReadAllBytes(path) : [];

    public string StoreTimingCache(string path, ReadOnlySpan<byte> cache) => cache.IsEmpty ? path : WriteAtomic(path, cache);

    private string WriteAtomic(string path, ReadOnlySpan<byte> bytes)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string temp = path + $".tmp-{Environment.ProcessId}";
        File.WriteAllBytes(temp, bytes.ToArray());
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
