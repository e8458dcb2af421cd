using System.Runtime.InteropServices;
using System.Text;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// Input or output names encoded once as an array of UTF-8 C strings in unmanaged memory, so a Run on the
/// hot path passes them without encoding or pinning anything. One block: the pointer array, then the bytes.
/// </summary>
public sealed unsafe class OrtNames : SafeHandle
{
    private OrtNames(string[] names) : base(0, ownsHandle: true)
    {
        Names = names;
        var encoded = names.Select(n => Encoding.UTF8.GetBytes(n)).ToArray();
        var pointerBytes = (nuint)(names.Length * sizeof(nint));
        var total = pointerBytes + (nuint)encoded.Sum(e => e.Length + 1);
        var block = (byte*)NativeMemory.Alloc(total == 0 ? 1 : total);
        SetHandle((nint)block);

        var pointers = (nint*)block;
        var cursor = block + pointerBytes;
        for (var i = 0; i < encoded.Length; i++)
        {
            pointers[i] = (nint)cursor;
            encoded[i].CopyTo(new Span<byte>(cursor, encoded[i].Length));
            cursor[encoded[i].Length] = 0;
            cursor += encoded[i].Length + 1;
        }
    }

    public static OrtNames Create(params string[] names)
    {
        foreach (var name in names)
            ArgumentException.ThrowIfNullOrEmpty(name, nameof(names));
        return new OrtNames(names.ToArray());
    }

    public IReadOnlyList<string> Names { get; }

    public int Count => Names.Count;

    /// <summary>The <c>const char* const*</c> ORT expects. Valid while a lease on this handle is held.</summary>
    internal nint* Pointers => (nint*)handle;

    internal byte* this[int index] => (byte*)((nint*)handle)[index];

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        NativeMemory.Free((void*)handle);
        return true;
    }

    public override string ToString() => string.Join(", ", Names);
}
