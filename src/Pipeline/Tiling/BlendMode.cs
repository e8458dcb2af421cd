namespace ResShift.Pipeline.Tiling;

public enum BlendMode
{
    /// <summary>Raised-cosine weights across each overlap: no visible seams (default).</summary>
    Feather,

    /// <summary>Equal weights in overlaps, as the reference does.</summary>
    Average,
}
