namespace ResShift.Pipeline.Tiling;

/// <summary>A tile's region in LQ pixels. Height/Width are the image part; the model sees it reflect-padded.</summary>
public readonly record struct TileRect(int Y, int X, int Height, int Width);
