using NetVips;

namespace ResShift.Pipeline.Imaging;

/// <summary>
/// libvips through NetVips, with the bundled library (NetVips.Native): set up once per process with our policy.
/// </summary>
public static class Libvips
{
    private static readonly Lazy<string> Initialised = new(Initialise, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The loaded libvips version, e.g. "8.18.7"; a start-up check. Throws when libvips cannot be loaded.</summary>
    public static string Version => Initialised.Value;

    internal static void EnsureInitialised() => _ = Initialised.Value;

    private static string Initialise()
    {
        if (!ModuleInitializer.VipsInitialized)
            throw new InvalidOperationException(
                $"libvips could not be loaded (it ships in the NetVips.Native.linux-x64 package next to the program): {ModuleInitializer.Exception?.Message}",
                ModuleInitializer.Exception);
        // Results are never reused across jobs, and a cached load could go stale, so the operation cache only costs memory.
        Cache.Max = 0;
        // Loaders marked untrusted are never wanted; the decoder also whitelists loaders, this is defence in depth.
        NetVips.NetVips.BlockUntrusted = true;
        return $"{NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)}";
    }
}
