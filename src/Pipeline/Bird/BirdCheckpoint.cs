using ResShift.Pipeline.Jobs;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// Everything a BIRD job needs to continue after a crash: iterations done, z, Adam moments and (blind deblurring)
/// the kernel network and its Adam moments. Written atomically (temp file, fsync, rename) every K iterations;
/// binary: magic, version, counts, then little-endian float32 arrays.
/// </summary>
public sealed record BirdCheckpoint(int Iteration, double LastLoss, float[] Z, float[] AdamZM, float[] AdamZV,
    float[]? KernelParameters, float[]? KernelInput, float[]? AdamKM, float[]? AdamKV)
{
    private const uint Magic = 0x44524942; // "BIRD"
    private const int Version = 1;

    public Task SaveAsync(string path, CancellationToken cancellationToken) =>
        AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(Version);
            w.Write(Iteration);
            w.Write(LastLoss);
            WriteArray(w, Z);
            WriteArray(w, AdamZM);
            WriteArray(w, AdamZV);
            WriteArray(w, KernelParameters);
            WriteArray(w, KernelInput);
            WriteArray(w, AdamKM);
            WriteArray(w, AdamKV);
            w.Flush();
            await stream.FlushAsync(ct).ConfigureAwait(false);
        }, cancellationToken);

    public static BirdCheckpoint? TryLoad(string path)
    {
        if (!File.Exists(path)) return null;
        using var r = new BinaryReader(File.OpenRead(path));
        if (r.ReadUInt32() != Magic || r.ReadInt32() != Version) throw new InvalidDataException($"{path}: not a BIRD checkpoint (version {Version})");
        int it = r.ReadInt32();
        double loss = r.ReadDouble();
        return new BirdCheckpoint(it, loss, ReadArray(r)!, ReadArray(r)!, ReadArray(r)!, ReadArray(r), ReadArray(r), ReadArray(r), ReadArray(r));
    }

    private static void WriteArray(BinaryWriter w, float[]? a)
    {
        w.Write(a?.Length ?? -1);
        if (a is not null) w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
    }

    private static float[]? ReadArray(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0) return null;
        var a = new float[n];
        int got = r.Read(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
        if (got != n * sizeof(float)) throw new InvalidDataException("truncated BIRD checkpoint");
        return a;
    }
}
