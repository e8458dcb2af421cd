using System.Runtime.InteropServices;

namespace ResShift.Pipeline.Imaging.Native;

/// <summary>
/// Every native entry point the imaging code uses, in one place. Only non-variadic libvips functions are
/// bound: variadic ones (vips_image_new_from_file, vips_pngsave, ...) cannot be marshalled portably from .NET,
/// so operations are driven through the GObject property API instead (see <see cref="VipsOperation"/>).
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Vips = "libvips.so.42";
    internal const string GObject = "libgobject-2.0.so.0";
    internal const string GLib = "libglib-2.0.so.0";

    // --- libvips: runtime, errors -------------------------------------------------------------------------
    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_init(string argv0);

    [LibraryImport(Vips)]
    internal static partial int vips_version(int flag);

    /// <summary>Copies and clears the global error buffer; the result is freed with g_free.</summary>
    [LibraryImport(Vips)]
    internal static partial byte* vips_error_buffer_copy();

    [LibraryImport(Vips)]
    internal static partial void vips_cache_set_max(int max);

    [LibraryImport(Vips)]
    internal static partial void vips_block_untrusted_set(int state);

    // --- libvips: operations ------------------------------------------------------------------------------
    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial VipsObjectHandle vips_operation_new(string name);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_object_set_from_string(VipsObjectHandle obj, string options);

    [LibraryImport(Vips)]
    internal static partial int vips_object_build(VipsObjectHandle obj);

    [LibraryImport(Vips)]
    internal static partial void vips_object_unref_outputs(VipsObjectHandle obj);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial byte* vips_foreign_find_load(string filename);

    [LibraryImport(Vips)]
    internal static partial byte* vips_foreign_find_load_buffer(byte* data, nuint size);

    [LibraryImport(Vips)]
    internal static partial byte* vips_nickname_find(nuint type);

    // --- libvips: sources (loading from an open file descriptor, read as needed) ---------------------------
    /// <summary>A VipsSource over a duplicate of <paramref name="descriptor"/> (libvips dups it: the caller keeps and closes its own).</summary>
    [LibraryImport(Vips)]
    internal static partial VipsObjectHandle vips_source_new_from_descriptor(int descriptor);

    [LibraryImport(Vips)]
    internal static partial byte* vips_foreign_find_load_source(VipsObjectHandle source);

    [LibraryImport(Vips)]
    internal static partial nuint vips_source_get_type();

    /// <summary>A duplicated descriptor shares its file offset: every new source starts from the beginning.</summary>
    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    internal static partial long lseek(int fd, long offset, int whence);

    // --- libvips: images ----------------------------------------------------------------------------------
    [LibraryImport(Vips)]
    internal static partial nuint vips_image_get_type();

    [LibraryImport(Vips)]
    internal static partial int vips_image_get_width(VipsImageHandle image);

    [LibraryImport(Vips)]
    internal static partial int vips_image_get_height(VipsImageHandle image);

    [LibraryImport(Vips)]
    internal static partial int vips_image_get_bands(VipsImageHandle image);

    [LibraryImport(Vips)]
    internal static partial VipsBandFormat vips_image_get_format(VipsImageHandle image);

    [LibraryImport(Vips)]
    internal static partial VipsInterpretation vips_image_get_interpretation(VipsImageHandle image);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nuint vips_image_get_typeof(VipsImageHandle image, string name);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_image_get_int(VipsImageHandle image, string name, out int value);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_image_get_blob(VipsImageHandle image, string name, out void* data, out nuint length);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void vips_image_set_blob_copy(VipsImageHandle image, string name, void* data, nuint length);

    /// <summary>Wraps caller memory without copying: it must stay valid (pinned) until the image is finalised.</summary>
    [LibraryImport(Vips)]
    internal static partial VipsImageHandle vips_image_new_from_memory(
        void* data, nuint size, int width, int height, int bands, VipsBandFormat format);

    [LibraryImport(Vips)]
    internal static partial VipsObjectHandle vips_region_new(VipsImageHandle image);

    /// <summary>Computes (decodes) a rectangle and returns a g_malloc'd copy of its pixels, or NULL.</summary>
    [LibraryImport(Vips)]
    internal static partial byte* vips_region_fetch(VipsObjectHandle region, int left, int top, int width, int height, out nuint length);

    // --- libvips: blobs -----------------------------------------------------------------------------------
    [LibraryImport(Vips)]
    internal static partial nuint vips_blob_get_type();

    [LibraryImport(Vips)]
    internal static partial nint vips_blob_copy(void* data, nuint length);

    [LibraryImport(Vips)]
    internal static partial void vips_area_unref(nint area);

    [LibraryImport(Vips)]
    internal static partial void* vips_value_get_blob(GValue* value, out nuint length);

    // --- GObject ------------------------------------------------------------------------------------------
    [LibraryImport(GObject)]
    internal static partial void g_object_unref(nint obj);

    [LibraryImport(GObject, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void g_object_set_property(VipsObjectHandle obj, string name, GValue* value);

    [LibraryImport(GObject, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void g_object_get_property(VipsObjectHandle obj, string name, GValue* value);

    [LibraryImport(GObject, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nuint g_type_from_name(string name);

    [LibraryImport(GObject)]
    internal static partial GValue* g_value_init(GValue* value, nuint type);

    [LibraryImport(GObject)]
    internal static partial void g_value_unset(GValue* value);

    [LibraryImport(GObject, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void g_value_set_string(GValue* value, string text);

    [LibraryImport(GObject)]
    internal static partial void g_value_set_object(GValue* value, VipsImageHandle obj);

    [LibraryImport(GObject, EntryPoint = "g_value_set_object")]
    internal static partial void g_value_set_source(GValue* value, VipsObjectHandle source);

    [LibraryImport(GObject)]
    internal static partial void g_value_set_boxed(GValue* value, nint boxed);

    /// <summary>Returns a new reference the caller owns.</summary>
    [LibraryImport(GObject)]
    internal static partial VipsImageHandle g_value_dup_object(GValue* value);

    // --- GLib ---------------------------------------------------------------------------------------------
    [LibraryImport(GLib)]
    internal static partial void g_free(void* memory);
}
