using System.Runtime.InteropServices;

namespace ResShift.Pipeline.Imaging.Native;

/// <summary>GLib's GValue: a GType followed by two 8-byte data words (24 bytes on LP64). Zero before g_value_init.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GValue
{
    public nuint Type;
    public ulong Data0;
    public ulong Data1;

    /// <summary>G_TYPE_STRING is a fundamental type: G_TYPE_MAKE_FUNDAMENTAL(16).</summary>
    public const nuint StringType = 16 << 2;
}
