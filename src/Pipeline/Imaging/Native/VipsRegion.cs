namespace ResShift.Pipeline.Imaging.Native;

/// <summary>
/// Reads pixels out of an image strip by strip. This is where lazy loaders actually decode, so decode errors
/// (truncation, corrupt data under fail_on) surface here. Use from one thread.
/// </summary>
internal sealed unsafe class VipsRegion : IDisposable
{
    private readonly VipsObjectHandle _handle;
    private readonly int _width;

    public VipsRegion(VipsImage image)
    {
        _width = image.Width;
        _handle = NativeMethods.vips_region_new(image.Handle);
        if (_handle.IsInvalid)
        {
            _handle.Dispose();
            throw VipsRuntime.Failure("vips_region_new");
        }
    }

    /// <summary>Decodes rows [top, top+rows) into a native buffer (interleaved samples, tightly packed).</summary>
    public NativeBuffer Fetch(int top, int rows)
    {
        byte* data = NativeMethods.vips_region_fetch(_handle, 0, top, _width, rows, out nuint length);
        if (data == null)
            throw VipsRuntime.Failure($"reading rows {top}..{top + rows - 1}");
        return new NativeBuffer(data, length);
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>A g_malloc'd buffer handed out by libvips; freed with g_free.</summary>
internal readonly unsafe ref struct NativeBuffer
{
    private readonly byte* _data;
    private readonly nuint _length;

    public NativeBuffer(byte* data, nuint length)
    {
        _data = data;
        _length = length;
    }

    public ReadOnlySpan<byte> Span => new(_data, checked((int)_length));

    public void Dispose() => NativeMethods.g_free(_data);
}
