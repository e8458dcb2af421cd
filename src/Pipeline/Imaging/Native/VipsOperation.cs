namespace ResShift.Pipeline.Imaging.Native;

/// <summary>
/// One libvips operation driven through the non-variadic GObject API: create by nickname, set inputs as
/// properties (or an option string such as "Q=95,strip=false" that libvips parses itself, which also covers
/// enum and double options), build, read outputs. Building runs header-only work for loaders: pixels are
/// computed later, when a region is fetched.
/// </summary>
internal sealed unsafe class VipsOperation : IDisposable
{
    private readonly VipsObjectHandle _handle;
    private readonly string _name;

    private VipsOperation(VipsObjectHandle handle, string name)
    {
        _handle = handle;
        _name = name;
    }

    public static VipsOperation Create(string nickname)
    {
        VipsRuntime.EnsureInitialised();
        VipsObjectHandle handle = NativeMethods.vips_operation_new(nickname);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw VipsRuntime.Failure($"no libvips operation '{nickname}'");
        }
        return new VipsOperation(handle, nickname);
    }

    public VipsOperation Set(string name, string value)
    {
        GValue v = default;
        NativeMethods.g_value_init(&v, GValue.StringType);
        try
        {
            NativeMethods.g_value_set_string(&v, value);
            NativeMethods.g_object_set_property(_handle, name, &v);
        }
        finally
        {
            NativeMethods.g_value_unset(&v);
        }
        return this;
    }

    public VipsOperation Set(string name, VipsImageHandle image)
    {
        GValue v = default;
        NativeMethods.g_value_init(&v, NativeMethods.vips_image_get_type());
        try
        {
            NativeMethods.g_value_set_object(&v, image);
            NativeMethods.g_object_set_property(_handle, name, &v);
        }
        finally
        {
            NativeMethods.g_value_unset(&v);
        }
        return this;
    }

    /// <summary>Sets a VipsSource input (the operation takes its own reference).</summary>
    public VipsOperation SetSource(string name, VipsObjectHandle source)
    {
        GValue v = default;
        NativeMethods.g_value_init(&v, NativeMethods.vips_source_get_type());
        try
        {
            NativeMethods.g_value_set_source(&v, source);
            NativeMethods.g_object_set_property(_handle, name, &v);
        }
        finally
        {
            NativeMethods.g_value_unset(&v);
        }
        return this;
    }

        /// <summary>Sets a VipsBlob input from a copy of <paramref name="bytes"/>, so nothing needs pinning later.</summary>
    public VipsOperation Set(string name, ReadOnlySpan<byte> bytes)
    {
        nint blob;
        fixed (byte* p = bytes)
            blob = NativeMethods.vips_blob_copy(p, (nuint)bytes.Length);
        if (blob == 0)
            throw VipsRuntime.Failure($"{_name}: cannot copy {bytes.Length} bytes");
        GValue v = default;
        NativeMethods.g_value_init(&v, NativeMethods.vips_blob_get_type());
        try
        {
            NativeMethods.g_value_set_boxed(&v, blob); // takes its own reference
            NativeMethods.g_object_set_property(_handle, name, &v);
        }
        finally
        {
            NativeMethods.g_value_unset(&v);
            NativeMethods.vips_area_unref(blob);
        }
        return this;
    }

    /// <summary>Sets options from libvips' own "name=value,..." syntax.</summary>
    public VipsOperation SetOptions(string options)
    {
        if (options.Length > 0 && NativeMethods.vips_object_set_from_string(_handle, options) != 0)
            throw VipsRuntime.Failure($"{_name}: bad options '{options}'");
        return this;
    }

    public VipsOperation Build()
    {
        if (NativeMethods.vips_object_build(_handle) != 0)
            throw VipsRuntime.Failure(_name);
        return this;
    }

    public VipsImageHandle GetImage(string name)
    {
        GValue v = default;
        NativeMethods.g_value_init(&v, NativeMethods.vips_image_get_type());
        try
        {
            NativeMethods.g_object_get_property(_handle, name, &v);
            VipsImageHandle image = NativeMethods.g_value_dup_object(&v);
            if (image.IsInvalid)
            {
                image.Dispose();
                throw new VipsException($"{_name}: output '{name}' is not set");
            }
            return image;
        }
        finally
        {
            NativeMethods.g_value_unset(&v);
        }
    }

    /// <summary>Streams a VipsBlob output to <paramref name="destination"/> without a managed copy of it.</summary>
    public long CopyBlob(string name, Stream destination)
    {
        GValue v = default;
        NativeMethods.g_value_init(&v, NativeMethods.vips_blob_get_type());
        try
        {
            NativeMethods.g_object_get_property(_handle, name, &v);
            byte* data = (byte*)NativeMethods.vips_value_get_blob(&v, out nuint length);
            if (data == null)
                throw new VipsException($"{_name}: output '{name}' is empty");
            for (nuint done = 0; done < length;)
            {
                int chunk = (int)Math.Min(length - done, 1u << 30);
                destination.Write(new ReadOnlySpan<byte>(data + done, chunk));
                done += (nuint)chunk;
            }
            return (long)length;
        }
        finally
        {
            NativeMethods.g_value_unset(&v);
        }
    }

    public void Dispose()
    {
        if (_handle.IsClosed)
            return;
        // libvips convention: outputs hold a reference owned by the operation; drop them with it.
        NativeMethods.vips_object_unref_outputs(_handle);
        _handle.Dispose();
    }
}
