using ResShift.Engines.OnnxRuntime.Native;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// Tensors bound to a session's inputs and outputs by name, for repeated runs over the same buffers without
/// passing names each time. Not thread-safe: one binding belongs to one run at a time. On the CPU provider a
/// plain Run with caller-made outputs is already copy-free, so this mainly serves device memory later.
/// </summary>
public sealed unsafe class OrtIoBinding : IDisposable
{
    // Bound tensors must outlive the binding's use; holding them here also keeps them from finalizing early.
    private readonly List<OrtTensor> _bound = [];

    internal OrtIoBinding(OrtIoBindingHandle handle) => Handle = handle;

    internal OrtIoBindingHandle Handle { get; }

    public void BindInput(string name, OrtTensor tensor) => Bind(name, tensor, output: false);

    public void BindOutput(string name, OrtTensor tensor) => Bind(name, tensor, output: true);

    public void Clear()
    {
        NativeMethods.ClearBindings(Handle);
        _bound.Clear();
    }

    private void Bind(string name, OrtTensor tensor, bool output)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var names = OrtNames.Create(name);
        using var lease = new HandleLease(names);
        if (output)
            NativeMethods.BindOutput(Handle, names[0], tensor.Handle, name);
        else
            NativeMethods.BindInput(Handle, names[0], tensor.Handle, name);
        _bound.Add(tensor);
    }

    public void Dispose() => Handle.Dispose();
}
