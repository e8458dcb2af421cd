using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>
/// Inputs are streamed from the opened file, not read whole (issue 15, "no input is read whole into memory when it
/// can be streamed"): a 16×16 PNG carrying a 160 MiB private chunk must not raise the daemon's peak RSS (VmHWM) by
/// anything like its file size, and its sidecar's SHA-256 is still that of the whole file.
/// </summary>
public sealed class StreamedInputTests
{
    private const int JunkMiB = 160;

    [Fact]
    public async Task A_large_input_file_is_streamed_and_its_size_does_not_show_in_peak_memory()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), inbox = Path.Combine(root, "inbox");
        Directory.CreateDirectory(inbox);
        using var d = DaemonProcess.Start(work, [new { Root = root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, OutputFormat = "png" }], maxJobsInFlight: 1);
        for (int i = 1; i <= 2; i++) // warm-up: the first jobs grow the heap and the engine's buffers whatever their input
        {
            WatchFixtures.WritePng(Path.Combine(inbox, $"small{i}.png"), 16, 16, i);
            await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(root, "done", $"small{i}.png")) || d.HasExited, TimeSpan.FromSeconds(60), () => "not restored; log:\n" + d.Log());
        }
        long before = PeakResident(d.Pid);

        string big = Path.Combine(work, "big.png");
        WritePngWithJunk(big, 16, 16, JunkMiB << 20);
        string sha;
        using (FileStream f = File.OpenRead(big)) sha = Convert.ToHexStringLower(SHA256.HashData(f));
        File.Move(big, Path.Combine(inbox, "big.png")); // appears whole
        await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(root, "done", "big.png")) || d.HasExited, TimeSpan.FromSeconds(60), () => "not restored; log:\n" + d.Log());
        long grown = PeakResident(d.Pid) - before;
        Console.WriteLine($"peak RSS grew by {grown >> 20} MiB for a {JunkMiB} MiB input (16×16 pixels)");

        Assert.True(grown < 32L << 20, $"peak RSS grew by {grown >> 20} MiB while a {JunkMiB} MiB input was restored: it was read into memory");
        using (var sidecar = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, "outbox", "big.png.resshift.json"))))
            Assert.Equal(sha, sidecar.RootElement.GetProperty("input").GetProperty("sha256").GetString());
        Assert.True(d.Terminate(TimeSpan.FromSeconds(30)), d.Log());
        Assert.Equal(0, d.ExitCode);
    }

    /// <summary>VmHWM: the most resident memory the process has had.</summary>
    private static long PeakResident(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("no VmHWM in /proc/PID/status");
    }

    /// <summary>A valid RGB PNG with an ancillary private chunk ("prVt", skipped by readers) of <paramref name="junk"/> zero bytes before its pixels.</summary>
    private static void WritePngWithJunk(string path, int width, int height, int junk)
    {
        using FileStream file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        Chunk(file, "IHDR", ihdr, 0);
        Chunk(file, "prVt", [], junk);
        var pixels = new MemoryStream();
        using (var z = new ZLibStream(pixels, CompressionLevel.Optimal, leaveOpen: true))
            for (int y = 0; y < height; y++)
            {
                var row = new byte[1 + 3 * width];
                for (int i = 1; i < row.Length; i++) row[i] = (byte)(i * 7 + y * 13);
                z.Write(row);
            }
        Chunk(file, "IDAT", pixels.ToArray(), 0);
        Chunk(file, "IEND", [], 0);
    }

    /// <summary>One chunk: <paramref name="data"/> followed by <paramref name="zeros"/> zero bytes, with its CRC.</summary>
    private static void Chunk(Stream s, string type, byte[] data, int zeros)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length + zeros);
        s.Write(word);
        byte[] head = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        s.Write(head);
        uint crc = Crc.Update(0xFFFFFFFF, head);
        byte[] block = new byte[1 << 20];
        for (int left = zeros; left > 0; left -= block.Length)
        {
            int n = Math.Min(left, block.Length);
            s.Write(block, 0, n);
            crc = Crc.Update(crc, block.AsSpan(0, n));
        }
        BinaryPrimitives.WriteUInt32BigEndian(word, ~crc);
        s.Write(word);
    }

    private static class Crc
    {
        private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
        {
            uint c = (uint)n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            return c;
        }).ToArray();

        public static uint Update(uint crc, ReadOnlySpan<byte> data)
        {
            foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }
    }
}
