namespace ResShift.Pipeline.Imaging.Native;

/// <summary>VipsBandFormat values from vips/image.h (libvips 8.x ABI).</summary>
internal enum VipsBandFormat
{
    NotSet = -1,
    UChar = 0,
    Char = 1,
    UShort = 2,
    Short = 3,
    UInt = 4,
    Int = 5,
    Float = 6,
    Complex = 7,
    Double = 8,
    DpComplex = 9,
}

/// <summary>The VipsInterpretation values this code looks at (vips/image.h).</summary>
internal enum VipsInterpretation
{
    Error = -1,
    Multiband = 0,
    BW = 1,
    Lab = 13,
    Cmyk = 15,
    Rgb = 17,
    Srgb = 22,
    Rgb16 = 25,
    Grey16 = 26,
    ScRgb = 28,
}
