using ResShift.Pipeline.Imaging.Native;

namespace ResShift.Pipeline.Imaging;

/// <summary>Start-up check for the native dependency.</summary>
public static class Libvips
{
    /// <summary>The loaded libvips version, e.g. "8.14.1". Initialises libvips; throws <see cref="VipsException"/>
    /// naming the Debian package when the library is missing.</summary>
    public static string Version => VipsRuntime.Version;
}
