using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ResShift.Pipeline.Jobs;

/// <summary>sha256 of a job's input bytes: names the input in provenance and keys its noise.</summary>
public readonly record struct ContentKey(string Sha256)
{
    public static ContentKey Of(ReadOnlySpan<byte> bytes) => new(Convert.ToHexStringLower(SHA256.HashData(bytes)));

    /// <summary>The same for a file, read in blocks: a video or a large image is never held whole to be named.</summary>
    public static ContentKey OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return new(Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    /// <summary>The first 8 bytes of the hash: the same content gets the same noise, whatever its name or arrival order.</summary>
    public ulong NoiseKey => BinaryPrimitives.ReadUInt64BigEndian(Convert.FromHexString(Sha256.AsSpan(0, 16)));
}
