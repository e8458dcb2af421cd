using System.Buffers.Binary;
using System.IO.Compression;

namespace ResShift.Pipeline.Tests.Imaging;

/// <summary>
/// Writes the smallest valid multi-page TIFF (uncompressed RGB, one strip per page) and APNG (acTL, fcTL,
/// IDAT, fdAT) byte by byte, so the tests need no image tool that can make them.
/// </summary>
internal static class MultiFrameWriter
{
    public static byte[] Tiff(int pages, int width = 4, int height = 3)
    {
        var file = new MemoryStream();
        var w = new BinaryWriter(file);
        w.Write("II"u8); w.Write((ushort)42);
        long nextIfdPointer = file.Position;
        w.Write(0u);
        for (int page = 0; page < pages; page++)
        {
            long pixels = file.Position;
            for (int i = 0; i < width * height * 3; i++) w.Write((byte)(i * 7 + page * 50));
            long bits = file.Position;
            w.Write((ushort)8); w.Write((ushort)8); w.Write((ushort)8);
            if (file.Position % 2 == 1) w.Write((byte)0);
            long ifd = file.Position;
            Patch(file, nextIfdPointer, (uint)ifd);
            (ushort Tag, ushort Type, uint Count, uint Value)[] entries =
            [
                (256, 4, 1, (uint)width), (257, 4, 1, (uint)height), (258, 3, 3, (uint)bits), (259, 3, 1, 1),
                (262, 3, 1, 2), (273, 4, 1, (uint)pixels), (277, 3, 1, 3), (278, 4, 1, (uint)height),
                (279, 4, 1, (uint)(width * height * 3)), (284, 3, 1, 1),
            ];
            w.Write((ushort)entries.Length);
            foreach (var e in entries)
            {
                w.Write(e.Tag); w.Write(e.Type); w.Write(e.Count);
                if (e.Type == 3 && e.Count == 1) { w.Write((ushort)e.Value); w.Write((ushort)0); }
                else w.Write(e.Value);
            }
            nextIfdPointer = file.Position;
            w.Write(0u);
        }
        return file.ToArray();
    }

    public static byte[] Apng(int frames, int width = 4, int height = 3)
    {
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", [.. BE(width), .. BE(height), 8, 2, 0, 0, 0]);
        Chunk(png, "acTL", [.. BE(frames), .. BE(0)]);
        uint sequence = 0;
        for (int f = 0; f < frames; f++)
        {
            Chunk(png, "fcTL", [.. BE((int)sequence++), .. BE(width), .. BE(height), .. BE(0), .. BE(0), 0, 1, 0, 10, 0, 0]);
            byte[] data = Deflate(width, height, f);
            if (f == 0) Chunk(png, "IDAT", data);
            else Chunk(png, "fdAT", [.. BE((int)sequence++), .. data]);
        }
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static byte[] Deflate(int width, int height, int frame)
    {
        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            for (int i = 0; i < width * 3; i++) raw.WriteByte((byte)(i * 9 + y * 30 + frame * 80));
        }
        var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(raw.ToArray());
        return z.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        png.Write(BE(data.Length));
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        png.Write(BE((int)Crc32(typed)));
    }

    private static byte[] BE(int v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, v);
        return b;
    }

    private static void Patch(MemoryStream file, long at, uint value)
    {
        long end = file.Position;
        file.Position = at;
        file.Write(BitConverter.GetBytes(value));
        file.Position = end;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
