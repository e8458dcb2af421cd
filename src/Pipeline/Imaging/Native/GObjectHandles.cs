using Microsoft.Win32.SafeHandles;

namespace ResShift.Pipeline.Imaging.Native;

/// <summary>Owns one GObject reference; releases it with g_object_unref.</summary>
internal abstract class GObjectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    protected GObjectHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.g_object_unref(handle);
        return true;
    }
}

/// <summary>A reference to a VipsImage.</summary>
internal sealed class VipsImageHandle : GObjectHandle
{
    public VipsImageHandle() { }
}

/// <summary>A reference to any other VipsObject: an operation or a region.</summary>
internal sealed class VipsObjectHandle : GObjectHandle
{
    public VipsObjectHandle() { }
}
