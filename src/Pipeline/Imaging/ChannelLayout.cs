namespace ResShift.Pipeline.Imaging;

/// <summary>The channel layout an image was stored with; pixels in memory are always RGB (+ alpha).</summary>
public enum ChannelLayout
{
    Gray,
    GrayAlpha,
    Rgb,
    Rgba,
}

public static class ChannelLayoutExtensions
{
    public static bool HasAlpha(this ChannelLayout layout) => layout is ChannelLayout.GrayAlpha or ChannelLayout.Rgba;

    public static bool IsGray(this ChannelLayout layout) => layout is ChannelLayout.Gray or ChannelLayout.GrayAlpha;

    public static int Bands(this ChannelLayout layout) => layout switch
    {
        ChannelLayout.Gray => 1,
        ChannelLayout.GrayAlpha => 2,
        ChannelLayout.Rgb => 3,
        _ => 4,
    };

    public static ChannelLayout FromBands(int bands) => bands switch
    {
        1 => ChannelLayout.Gray,
        2 => ChannelLayout.GrayAlpha,
        3 => ChannelLayout.Rgb,
        4 => ChannelLayout.Rgba,
        _ => throw new ArgumentOutOfRangeException(nameof(bands), bands, "1 to 4 bands"),
    };
}
