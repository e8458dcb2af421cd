using System.Text;

namespace ResShift.Pipeline.Files;

/// <summary>
/// A path inside a root, checked by its text alone: relative, '/'-separated, no '.', '..', NUL or empty
/// component, each component at most 255 bytes. Symbolic links are dealt with when it is used.
/// </summary>
internal readonly struct RelativePath
{
    public const int MaxComponentBytes = 255;

    private RelativePath(string text, string[] components)
    {
        Text = text;
        Components = components;
    }

    public string Text { get; }
    public string[] Components { get; }
    public string Name => Components[^1];
    public bool HasParent => Components.Length > 1;
    public string Parent => string.Join('/', Components, 0, Components.Length - 1);

    public static RelativePath Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0) throw Invalid(path, "the path is empty");
        if (path.Contains('\0')) throw Invalid(path, "the path contains a NUL character");
        if (path.StartsWith('/')) throw Invalid(path, "the path must be relative to its root");
        string[] parts = path.TrimEnd('/').Split('/');
        foreach (string c in parts)
        {
            if (c.Length == 0) throw Invalid(path, "the path has an empty component");
            if (c is "." or "..") throw Invalid(path, $"'{c}' is not allowed in a path");
            if (Encoding.UTF8.GetByteCount(c) > MaxComponentBytes)
                throw new UnsafePathException(path, UnsafePathReason.NameTooLong, $"a name is longer than {MaxComponentBytes} bytes");
        }
        return new RelativePath(string.Join('/', parts), parts);
    }

    private static UnsafePathException Invalid(string path, string why) => new(path, UnsafePathReason.Invalid, why);
}
