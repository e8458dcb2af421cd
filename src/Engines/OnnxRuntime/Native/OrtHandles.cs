using System.Buffers;
using System.Runtime.InteropServices;

namespace ResShift.Engines.OnnxRuntime.Native;

/// <summary>
/// Owns one ORT object. Release goes through the matching OrtApi Release* slot exactly once, even when the
/// owner forgets to dispose (the finalizer path). Native calls take a <see cref="HandleLease"/> so a handle
/// disposed on another thread cannot be released while a call still uses it.
/// </summary>
internal abstract class OrtHandle : SafeHandle
{
    protected OrtHandle(nint pointer) : base(0, ownsHandle: true) => SetHandle(pointer);

    public override bool IsInvalid => handle == 0;
}

internal sealed class OrtEnvHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle() { NativeMethods.ReleaseEnv(handle); return true; }
}

internal sealed class OrtSessionOptionsHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle() { NativeMethods.ReleaseSessionOptions(handle); return true; }
}

internal sealed class OrtSessionHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle() { NativeMethods.ReleaseSession(handle); return true; }
}

/// <summary>
/// An OrtValue. When it wraps caller memory, the pin lives here too and is dropped only after ORT released
/// the value, so memory can never be unpinned while a Run on another thread still reads it.
/// </summary>
internal sealed class OrtValueHandle(nint pointer, MemoryHandle pin = default) : OrtHandle(pointer)
{
    private MemoryHandle _pin = pin;

    protected override bool ReleaseHandle()
    {
        NativeMethods.ReleaseValue(handle);
        _pin.Dispose();
        return true;
    }
}

internal sealed class OrtMemoryInfoHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle() { NativeMethods.ReleaseMemoryInfo(handle); return true; }
}

internal sealed class OrtRunOptionsHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle() { NativeMethods.ReleaseRunOptions(handle); return true; }
}

internal sealed class OrtIoBindingHandle(nint pointer) : OrtHandle(pointer)
{
    protected override bool ReleaseHandle() { NativeMethods.ReleaseIoBinding(handle); return true; }
}

/// <summary>
/// Keeps a handle alive for the length of one native call. Throws <see cref="ObjectDisposedException"/> when
/// the handle is already closed, which is how use-after-dispose surfaces instead of a crash.
/// </summary>
internal readonly ref struct HandleLease
{
    private readonly SafeHandle _handle;
    public readonly nint Pointer;

    public HandleLease(SafeHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
        Pointer = handle.DangerousGetHandle();
    }

    public void Dispose() => _handle.DangerousRelease();
}
