using System.Buffers.Binary;

namespace ResShift.Pipeline.Video.Codec;

/// <summary>
/// Converts between the decoder's packed RGB frames (rgb24, or rgb48le for sources above 8 bits) and the
/// pipeline's planar float images: LQ in [-1, 1] on the way in, restored [0, 1] on the way out.
/// </summary>
public static class RawFrame
{
    public static int Bytes(int width, int height, int bytesPerSample) => checked(width * height * 3 * bytesPerSample);

    /// <summary>Packed RGB → planar C×H×W in [-1, 1].</summary>
    public static float[] ToLq(ReadOnlySpan<byte> packed, int width, int height, int bytesPerSample)
    {
        int plane = width * height;
        var lq = new float[3 * plane];
        if (bytesPerSample == 1)
        {
            const float k = 2f / 255f;
            for (int i = 0; i < plane; i++)
            {
                lq[i] = packed[3 * i] * k - 1f;
                lq[plane + i] = packed[3 * i + 1] * k - 1f;
                lq[2 * plane + i] = packed[3 * i + 2] * k - 1f;
            }
        }
        else
        {
            const float k = 2f / 65535f;
            for (int i = 0; i < plane; i++)
            {
                lq[i] = BinaryPrimitives.ReadUInt16LittleEndian(packed[(6 * i)..]) * k - 1f;
                lq[plane + i] = BinaryPrimitives.ReadUInt16LittleEndian(packed[(6 * i + 2)..]) * k - 1f;
                lq[2 * plane + i] = BinaryPrimitives.ReadUInt16LittleEndian(packed[(6 * i + 4)..]) * k - 1f;
            }
        }
        return lq;
    }

    /// <summary>Planar C×H×W in [0, 1] → packed RGB, rounded to nearest.</summary>
    public static void FromRestored(ReadOnlySpan<float> planar, int width, int height, int bytesPerSample, Span<byte> packed)
    {
        int plane = width * height;
        if (bytesPerSample == 1)
        {
            for (int i = 0; i < plane; i++)
                for (int c = 0; c < 3; c++)
                    packed[3 * i + c] = (byte)Math.Clamp(MathF.Round(planar[c * plane + i] * 255f), 0f, 255f);
        }
        else
        {
            for (int i = 0; i < plane; i++)
                for (int c = 0; c < 3; c++)
                    BinaryPrimitives.WriteUInt16LittleEndian(packed[(6 * i + 2 * c)..],
                        (ushort)Math.Clamp(MathF.Round(planar[c * plane + i] * 65535f), 0f, 65535f));
        }
    }
}
