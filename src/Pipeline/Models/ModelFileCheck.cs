using System.Security.Cryptography;

namespace ResShift.Pipeline.Models;

/// <summary>One model file against the sha256 its manifest records.</summary>
public sealed record ModelFileCheck(string Role, string Path, string? ExpectedSha256, string? ActualSha256, long Bytes)
{
    public bool Exists => ActualSha256 is not null;
    public bool Matches => Exists && (ExpectedSha256 is null || string.Equals(ExpectedSha256, ActualSha256, StringComparison.OrdinalIgnoreCase));

    public static IReadOnlyList<ModelFileCheck> All(ModelManifest m) =>
        m.Files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => Check(m, f.Key)).ToList();

    public static ModelFileCheck Check(ModelManifest m, string role)
    {
        string path = m.PathOf(role);
        string? expected = m.Files[role].Sha256;
        if (!File.Exists(path)) return new ModelFileCheck(role, path, expected, null, 0);
        using FileStream s = File.OpenRead(path);
        string actual = Convert.ToHexStringLower(SHA256.HashData(s));
        return new ModelFileCheck(role, path, expected, actual, s.Length);
    }

    /// <summary>Throws with every missing or altered file named, so a damaged model never runs.</summary>
    public static void EnsureIntact(ModelManifest m)
    {
        if (!m.HasGraphs)
            throw new InvalidOperationException($"model '{m.Id}' has no ONNX graphs yet; export them with 'make models MODEL={m.Id}'");
        var bad = All(m).Where(c => !c.Matches).ToList();
        if (bad.Count == 0) return;
        throw new InvalidDataException($"model '{m.Id}' files are damaged: " + string.Join("; ", bad.Select(b =>
            b.Exists ? $"{b.Path}: sha256 {b.ActualSha256} but the manifest says {b.ExpectedSha256}" : $"{b.Path}: missing")));
    }
}
