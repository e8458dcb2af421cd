namespace ResShift.Pipeline.Tiling;

/// <summary>
/// How an LQ image is cut into tiles, reproducing the reference's splitter (resshift.md §5): an axis is
/// tiled only when it is strictly longer than <see cref="Chop"/>; starts are 0, stride, 2·stride, …; a start
/// whose tile would run past the end becomes length − chop; duplicates are removed; tiles are row-major.
/// </summary>
public sealed class TilePlan
{
    public int ImageHeight { get; }
    public int ImageWidth { get; }
    public int Chop { get; }
    public int Stride { get; }
    public IReadOnlyList<int> RowStarts { get; }
    public IReadOnlyList<int> ColumnStarts { get; }
    public IReadOnlyList<TileRect> Tiles { get; }

    /// <summary>Tile height in LQ pixels (the image part): min(chop, image height).</summary>
    public int TileHeight => Math.Min(Chop, ImageHeight);

    /// <summary>Tile width in LQ pixels (the image part): min(chop, image width).</summary>
    public int TileWidth => Math.Min(Chop, ImageWidth);

    private TilePlan(int height, int width, int chop, int stride)
    {
        ImageHeight = height;
        ImageWidth = width;
        Chop = chop;
        Stride = stride;
        RowStarts = Starts(height, chop, stride);
        ColumnStarts = Starts(width, chop, stride);
        var tiles = new List<TileRect>(RowStarts.Count * ColumnStarts.Count);
        foreach (int y in RowStarts)
            foreach (int x in ColumnStarts)
                tiles.Add(new TileRect(y, x, TileHeight, TileWidth));
        Tiles = tiles;
    }

    public static TilePlan Create(int height, int width, int chop, int stride)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"image size {width}×{height} must be positive");
        if (chop <= 0) throw new ArgumentOutOfRangeException(nameof(chop), chop, "chop must be positive");
        if (stride <= 0 || stride > chop) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"stride must be in 1..{chop}");
        return new TilePlan(height, width, chop, stride);
    }

    /// <summary>A plan from a tile size and an overlap (stride = tile − overlap).</summary>
    public static TilePlan FromOverlap(int height, int width, int tile, int overlap)
    {
        if (overlap < 0 || overlap >= tile) throw new ArgumentOutOfRangeException(nameof(overlap), overlap, $"overlap must be in 0..{tile - 1}");
        return Create(height, width, tile, tile - overlap);
    }

    internal static int[] Starts(int length, int chop, int stride)
    {
        if (length <= chop) return [0];
        var starts = new List<int>();
        for (long s = 0; s < length; s += stride) // long: s + stride and s + chop may pass int.MaxValue
        {
            int start = s + chop > length ? length - chop : (int)s;
            if (!starts.Contains(start)) starts.Add(start);
        }
        return [.. starts];
    }
}
