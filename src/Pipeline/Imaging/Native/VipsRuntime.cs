using System.Runtime.InteropServices;

namespace ResShift.Pipeline.Imaging.Native;

/// <summary>Initialises libvips once per process and turns its error buffer into exceptions.</summary>
internal static unsafe class VipsRuntime
{
    private static readonly Lazy<string> Initialised = new(Initialise, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The libvips version ("8.14.1"); initialises libvips on first use.</summary>
    public static string Version => Initialised.Value;

    public static void EnsureInitialised() => _ = Initialised.Value;

    private static string Initialise()
    {
        try
        {
            if (NativeMethods.vips_init("resshift") != 0)
                throw new VipsException("vips_init failed: " + TakeError());
            // Results are never reused across jobs and a cached file load could go stale when a watch
            // folder reuses a name, so the operation cache only costs memory.
            NativeMethods.vips_cache_set_max(0);
            // Loaders marked untrusted (ImageMagick, PDF, SVG, ...) are never wanted; the decoder also
            // whitelists loaders, this is defence in depth.
            NativeMethods.vips_block_untrusted_set(1);
            return $"{NativeMethods.vips_version(0)}.{NativeMethods.vips_version(1)}.{NativeMethods.vips_version(2)}";
        }
        catch (DllNotFoundException e)
        {
            throw new VipsException(
                $"{NativeMethods.Vips} could not be loaded; install the Debian package libvips42 ({e.Message})", e);
        }
    }

    /// <summary>Takes (and clears) libvips' error buffer. The buffer is process-global, so under concurrent
    /// failures a message may carry text from another thread's failure; it is never lost, only mixed.</summary>
    public static string TakeError()
    {
        byte* text = NativeMethods.vips_error_buffer_copy();
        if (text == null)
            return "unknown libvips error";
        try
        {
            string message = Marshal.PtrToStringUTF8((nint)text)?.Trim() ?? "";
            return message.Length == 0 ? "unknown libvips error" : message.ReplaceLineEndings("; ");
        }
        finally
        {
            NativeMethods.g_free(text);
        }
    }

    public static VipsException Failure(string what) => new($"{what}: {TakeError()}");
}
