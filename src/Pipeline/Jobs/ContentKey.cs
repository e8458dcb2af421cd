using System.Buffers.Binary;
using System.Security.Cryptography;
using ResShift.Pipeline.Files;

namespace ResShift.Pipeline.Jobs;

/// <summary>sha256 of a job's input bytes: names the input in provenance and keys its noise.</summary>
public readonly record struct ContentKey(string Sha256)
{
    public static ContentKey Of(ReadOnlySpan<byte> bytes) => new(Convert.ToHexStringLower(SHA256.HashData(bytes)));

    /// <summary>The same for a stream, read in blocks to its end: a video or a large image is never held whole to be named.</summary>
    public static ContentKey Of(Stream stream) => new(Convert.ToHexStringLower(SHA256.HashData(stream)));

    /// <summary>The same for a file named by a path the caller trusts (the CLI's own arguments, a spool this process made).</summary>
    public static ContentKey OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Of(stream);
    }

    /// <summary>
    /// The same for a file inside a root, read through the root's handle: a regular file only (a link, FIFO or device
    /// is refused without blocking), within <paramref name="maxBytes"/>.
    /// </summary>
    /// <exception cref="IOException">Missing, unsafe (<see cref="UnsafePathException"/>) or too large.</exception>
    public static ContentKey OfFile(RootDirectory root, string relative, long maxBytes)
    {
        using Stream stream = root.OpenReadStream(relative, maxBytes);
        return Of(stream);
    }

    /// <summary>The first 8 bytes of the hash: the same content gets the same noise, whatever its name or arrival order.</summary>
    public ulong NoiseKey => BinaryPrimitives.ReadUInt64BigEndian(Convert.FromHexString(Sha256.AsSpan(0, 16)));
}
