using ResShift.Engines.Cuda.Native;

namespace ResShift.Engines.Cuda;

/// <summary>A loaded module (PTX JIT-compiled by the driver) and its kernels by name.</summary>
public sealed class CudaModule : IDisposable
{
    private readonly CudaModuleHandle _handle;
    private readonly Dictionary<string, nint> _functions = new(StringComparer.Ordinal);

    public CudaModule(CudaContext context, byte[] image, IEnumerable<string> entries)
    {
        Context = context;
        using var _ = context.Enter();
        _handle = new CudaModuleHandle(context.Handle, CudaNativeMethods.ModuleLoadData(image));
        foreach (string e in entries)
            _functions[e] = CudaNativeMethods.ModuleGetFunction(_handle.DangerousGetHandle(), e);
    }

    public CudaContext Context { get; }

    /// <summary>Launches <paramref name="name"/>; <paramref name="arguments"/> holds one pointer per kernel parameter.</summary>
    internal unsafe void Launch(string name, (uint X, uint Y, uint Z) grid, (uint X, uint Y, uint Z) block, CudaStream stream, void** arguments)
    {
        if (!_functions.TryGetValue(name, out nint fn))
            throw new ArgumentException($"kernel '{name}' was not loaded", nameof(name));
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0) return; // empty launch: nothing to do, and the driver would reject it
        using var _ = Context.Enter();
        CudaNativeMethods.LaunchKernel(fn, grid, block, 0, stream.NativeHandle, arguments, name);
    }

    public void Dispose() => _handle.Dispose();
}
