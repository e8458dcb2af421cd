using System.Buffers.Binary;
using System.Text;

namespace ResShift.Pipeline.Tests.Imaging;

/// <summary>
/// ICC profiles for the tests without any installed colour package: a profile read straight from a JPEG's
/// APP2 segments (independently of libvips), and a minimal ICC v2 gray display profile built here.
/// </summary>
internal static class IccProfiles
{
    private static readonly byte[] JpegIccMarker = "ICC_PROFILE\0"u8.ToArray();

    /// <summary>
    /// The profile embedded in a JPEG: its APP2 "ICC_PROFILE" chunks joined in sequence order (ICC.1 annex B.4).
    /// Null when the file has none.
    /// </summary>
    public static byte[]? FromJpeg(string path)
    {
        byte[] jpeg = File.ReadAllBytes(path);
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) throw new InvalidDataException($"{path} is not a JPEG");
        var chunks = new SortedDictionary<int, byte[]>();
        int at = 2;
        while (at + 4 <= jpeg.Length && jpeg[at] == 0xFF)
        {
            byte marker = jpeg[at + 1];
            if (marker is 0xDA or 0xD9) break; // start of scan / end of image: no more metadata segments
            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(at + 2));
            ReadOnlySpan<byte> body = jpeg.AsSpan(at + 4, length - 2);
            if (marker == 0xE2 && body.StartsWith(JpegIccMarker))
                chunks[body[JpegIccMarker.Length]] = body[(JpegIccMarker.Length + 2)..].ToArray(); // after sequence no. and count
            at += 2 + length;
        }
        return chunks.Count == 0 ? null : chunks.Values.SelectMany(c => c).ToArray();
    }

    /// <summary>The header fields a reader checks first: declared size, 'acsp' signature, data colour space.</summary>
    public static (int DeclaredSize, string Signature, string ColourSpace) Header(byte[] profile) =>
        ((int)BinaryPrimitives.ReadUInt32BigEndian(profile), Encoding.ASCII.GetString(profile, 36, 4), Encoding.ASCII.GetString(profile, 16, 4));

    /// <summary>
    /// A valid ICC v2.1 monitor profile for gray data: D50 white point and a gamma 2.2 kTRC, with
    /// description and copyright, as libpng and lcms expect of a gray PNG's iCCP chunk.
    /// </summary>
    public static byte[] Gray()
    {
        byte[] desc = DescriptionTag("ResShift test gray, gamma 2.2");
        byte[] cprt = [.. "text"u8, 0, 0, 0, 0, .. "No copyright, use freely"u8, 0];
        byte[] wtpt = XyzTag(0.9642, 1.0, 0.8249);
        byte[] ktrc = [.. "curv"u8, 0, 0, 0, 0, 0, 0, 0, 1, 0x02, 0x33]; // one entry: gamma as u8Fixed8 (2.2 ≈ 0x0233)
        (string Sig, byte[] Data)[] tags = [("desc", desc), ("cprt", cprt), ("wtpt", wtpt), ("kTRC", ktrc)];

        int tableEnd = 128 + 4 + 12 * tags.Length;
        var offsets = new int[tags.Length];
        int size = tableEnd;
        for (int i = 0; i < tags.Length; i++)
        {
            offsets[i] = size;
            size = Align4(size + tags[i].Data.Length);
        }
        byte[] p = new byte[size];
        Span<byte> s = p;
        BinaryPrimitives.WriteUInt32BigEndian(s, (uint)size);
        BinaryPrimitives.WriteUInt32BigEndian(s[8..], 0x02100000); // version 2.1
        "mntr"u8.CopyTo(s[12..]);
        "GRAY"u8.CopyTo(s[16..]);
        "XYZ "u8.CopyTo(s[20..]);
        ushort[] date = [2026, 1, 1, 0, 0, 0];
        for (int i = 0; i < date.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(s[(24 + 2 * i)..], date[i]);
        "acsp"u8.CopyTo(s[36..]);
        XyzTag(0.9642, 1.0, 0.8249).AsSpan(8).CopyTo(s[68..]); // PCS illuminant D50
        BinaryPrimitives.WriteUInt32BigEndian(s[128..], (uint)tags.Length);
        for (int i = 0; i < tags.Length; i++)
        {
            Span<byte> entry = s[(132 + 12 * i)..];
            Encoding.ASCII.GetBytes(tags[i].Sig).CopyTo(entry);
            BinaryPrimitives.WriteUInt32BigEndian(entry[4..], (uint)offsets[i]);
            BinaryPrimitives.WriteUInt32BigEndian(entry[8..], (uint)tags[i].Data.Length);
            tags[i].Data.CopyTo(s[offsets[i]..]);
        }
        return p;
    }

    private static int Align4(int n) => (n + 3) & ~3;

    private static byte[] XyzTag(double x, double y, double z)
    {
        byte[] t = new byte[20];
        "XYZ "u8.CopyTo(t);
        BinaryPrimitives.WriteInt32BigEndian(t.AsSpan(8), S15Fixed16(x));
        BinaryPrimitives.WriteInt32BigEndian(t.AsSpan(12), S15Fixed16(y));
        BinaryPrimitives.WriteInt32BigEndian(t.AsSpan(16), S15Fixed16(z));
        return t;
    }

    private static int S15Fixed16(double v) => (int)Math.Round(v * 65536);

    /// <summary>ICC v2 textDescriptionType: ASCII part, then empty Unicode and ScriptCode parts.</summary>
    private static byte[] DescriptionTag(string text)
    {
        byte[] ascii = Encoding.ASCII.GetBytes(text + "\0");
        byte[] t = new byte[12 + ascii.Length + 4 + 4 + 2 + 1 + 67];
        "desc"u8.CopyTo(t);
        BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(8), (uint)ascii.Length);
        ascii.CopyTo(t, 12);
        return t; // Unicode language/count, ScriptCode code/count and its 67 bytes all zero
    }
}
