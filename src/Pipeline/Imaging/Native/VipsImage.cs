namespace ResShift.Pipeline.Imaging.Native;

/// <summary>A VipsImage reference plus the header reads and metadata edits the codecs need.</summary>
internal sealed unsafe class VipsImage : IDisposable
{
    public VipsImage(VipsImageHandle handle) => Handle = handle;

    public VipsImageHandle Handle { get; }

    public int Width => NativeMethods.vips_image_get_width(Handle);
    public int Height => NativeMethods.vips_image_get_height(Handle);
    public int Bands => NativeMethods.vips_image_get_bands(Handle);
    public VipsBandFormat Format => NativeMethods.vips_image_get_format(Handle);
    public VipsInterpretation Interpretation => NativeMethods.vips_image_get_interpretation(Handle);

    /// <summary>Wraps interleaved samples in place, without a copy. The memory must stay pinned and unchanged
    /// until this image and every operation that used it are disposed.</summary>
    public static VipsImage Wrap(byte* samples, int size, int width, int height, int bands, VipsBandFormat format)
    {
        VipsRuntime.EnsureInitialised();
        VipsImageHandle handle = NativeMethods.vips_image_new_from_memory(samples, (nuint)size, width, height, bands, format);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw VipsRuntime.Failure("vips_image_new_from_memory");
        }
        return new VipsImage(handle);
    }

    public int? GetInt(string field) =>
        NativeMethods.vips_image_get_typeof(Handle, field) != 0 && NativeMethods.vips_image_get_int(Handle, field, out int value) == 0
            ? value
            : null;

    public byte[]? GetBlob(string field)
    {
        if (NativeMethods.vips_image_get_typeof(Handle, field) == 0
            || NativeMethods.vips_image_get_blob(Handle, field, out void* data, out nuint length) != 0
            || data == null || length == 0)
            return null;
        return new ReadOnlySpan<byte>(data, checked((int)length)).ToArray();
    }

    /// <summary>Attaches a copy of <paramref name="bytes"/>. Only for images this code created and nobody shares.</summary>
    public void SetBlob(string field, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
            NativeMethods.vips_image_set_blob_copy(Handle, field, p, (nuint)bytes.Length);
    }

    /// <summary>Runs a one-in, one-out operation ("in" → "out"), e.g. autorot.</summary>
    public VipsImage Apply(string nickname, string options = "")
    {
        using VipsOperation op = VipsOperation.Create(nickname).Set("in", Handle).SetOptions(options).Build();
        return new VipsImage(op.GetImage("out"));
    }

    public void Dispose() => Handle.Dispose();
}
