namespace ResShift.Pipeline.Processing;

/// <summary>An input's size in LQ pixels, as it will be decoded (orientation applied).</summary>
public readonly record struct ImageSize(int Width, int Height);
