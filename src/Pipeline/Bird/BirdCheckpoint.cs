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
    /// <summary>Which job this is (input, seed and task), so a checkpoint of another job is never resumed.</summary>
    public ulong JobKey { get; init; }
    public int TotalIterations { get; init; }
    /// <summary>The loss of every iteration so far (for the sidecar).</summary>
    public double[] Losses { get; init; } = [];

    private const uint Magic = 0x44524942; // "BIRD"
    private const int Version = 2;

    public Task SaveAsync(string path, CancellationToken cancellationToken) => AtomicFile.WriteAsync(path, WriteToAsync, cancellationToken);

    /// <summary>The checkpoint's bytes (for a caller that places the file itself, e.g. through a root handle).</summary>
    public async Task WriteToAsync(Stream stream, CancellationToken ct)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Version);
        w.Write(JobKey);
        w.Write(TotalIterations);
        w.Write(Iteration);
        w.Write(LastLoss);
        w.Write(Losses.Length);
        foreach (double l in Losses) w.Write(l);
        WriteArray(w, Z);
        WriteArray(w, AdamZM);
        WriteArray(w, AdamZV);
        WriteArray(w, KernelParameters);
        WriteArray(w, KernelInput);
        WriteArray(w, AdamKM);
        WriteArray(w, AdamKV);
        w.Flush();
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    public static BirdCheckpoint? TryLoad(string path)
    {
        if (!File.Exists(path)) return null;
        using FileStream s = File.OpenRead(path);
        return ReadFrom(s, path);
    }

    /// <summary>Reads a checkpoint from <paramref name="stream"/>; <paramref name="path"/> names it in errors.</summary>
    public static BirdCheckpoint ReadFrom(Stream stream, string path)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (r.ReadUInt32() != Magic || r.ReadInt32() != Version) throw new InvalidDataException($"{path}: not a BIRD checkpoint (version {Version})");
        ulong key = r.ReadUInt64();
        int total = r.ReadInt32();
        int it = r.ReadInt32();
        double loss = r.ReadDouble();
        int n = r.ReadInt32();
        if (n < 0 || n > 1_000_000) throw new InvalidDataException($"{path}: corrupt BIRD checkpoint");
        var losses = new double[n];
        for (int i = 0; i < n; i++) losses[i] = r.ReadDouble();
        return new BirdCheckpoint(it, loss, ReadArray(r)!, ReadArray(r)!, ReadArray(r)!, ReadArray(r), ReadArray(r), ReadArray(r), ReadArray(r))
        {
            JobKey = key,
            TotalIterations = total,
            Losses = losses,
        };
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
        if (n > 1 << 26) throw new InvalidDataException("corrupt BIRD checkpoint (array length)");
        var a = new float[n];
        int got = r.Read(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
        if (got != n * sizeof(float)) throw new InvalidDataException("truncated BIRD checkpoint");
        return a;
    }
}
