namespace ResShift.Pipeline.Video.Probing;

/// <summary>What ffprobe says about a media file: its container, streams, chapters and tags.</summary>
public sealed record MediaProbe
{
    public required string FormatName { get; init; }
    public double? StartTime { get; init; }
    public double? Duration { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<StreamProbe> Streams { get; init; } = [];
    public IReadOnlyList<ChapterProbe> Chapters { get; init; } = [];

    /// <summary>The first video stream that is not a cover picture, or null for audio-only and other files.</summary>
    public StreamProbe? Video => Streams.FirstOrDefault(s => s.Kind == StreamKind.Video && !s.AttachedPicture);
    public IEnumerable<StreamProbe> OfKind(StreamKind kind) => Streams.Where(s => s.Kind == kind);
}

public enum StreamKind { Video, Audio, Subtitle, Attachment, Data, Unknown }

/// <summary>One stream: the fields the decisions need, for every kind (the video-only ones are null elsewhere).</summary>
public sealed record StreamProbe
{
    public int Index { get; init; }
    public StreamKind Kind { get; init; }
    public string? Codec { get; init; }
    public string? Language { get; init; }
    public string? Title { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    public double? StartTime { get; init; }
    public long? StartPts { get; init; }
    public Rational TimeBase { get; init; }
    public long? Packets { get; init; }
    public bool AttachedPicture { get; init; }

    public int Width { get; init; }
    public int Height { get; init; }
    public string? PixelFormat { get; init; }
    public int? BitsPerRawSample { get; init; }
    public string? ColorRange { get; init; }
    public string? ColorSpace { get; init; }
    public string? ColorTransfer { get; init; }
    public string? ColorPrimaries { get; init; }
    public string? FieldOrder { get; init; }
    public Rational RFrameRate { get; init; }
    public Rational AvgFrameRate { get; init; }

    /// <summary>Display-matrix rotation in degrees (counter-clockwise, as ffprobe reports it), 0 when none.</summary>
    public int Rotation { get; init; }

    /// <summary>Attachment file name and type (fonts in MKV).</summary>
    public string? FileName { get; init; }
    public string? MimeType { get; init; }
}

public sealed record ChapterProbe(double Start, double End, string? Title);

/// <summary>HDR10 static metadata from the first frame's side data (as ffprobe prints it: "34000/50000").</summary>
public sealed record Hdr10Metadata
{
    public required Rational RedX { get; init; }
    public required Rational RedY { get; init; }
    public required Rational GreenX { get; init; }
    public required Rational GreenY { get; init; }
    public required Rational BlueX { get; init; }
    public required Rational BlueY { get; init; }
    public required Rational WhiteX { get; init; }
    public required Rational WhiteY { get; init; }
    public required Rational MinLuminance { get; init; }
    public required Rational MaxLuminance { get; init; }
    public int? MaxContent { get; init; }
    public int? MaxAverage { get; init; }

    /// <summary>x265's master-display string: chromaticities ×50000, luminance ×10000.</summary>
    public string X265MasterDisplay =>
        $"G({S(GreenX, 50000)},{S(GreenY, 50000)})B({S(BlueX, 50000)},{S(BlueY, 50000)})R({S(RedX, 50000)},{S(RedY, 50000)})"
        + $"WP({S(WhiteX, 50000)},{S(WhiteY, 50000)})L({S(MaxLuminance, 10000)},{S(MinLuminance, 10000)})";

    private static long S(Rational r, long unit) => (long)Math.Round(r.Value * unit);
}

/// <summary>A rational as ffprobe writes one ("24000/1001"); 0/0 when absent.</summary>
public readonly record struct Rational(long Num, long Den)
{
    public double Value => Den == 0 ? 0 : (double)Num / Den;
    public bool IsValid => Num > 0 && Den > 0;

    public static Rational Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return default;
        int slash = text.IndexOf('/');
        if (slash < 0) return long.TryParse(text, out long whole) ? new Rational(whole, 1) : default;
        return long.TryParse(text.AsSpan(0, slash), out long n) && long.TryParse(text.AsSpan(slash + 1), out long d) ? new Rational(n, d) : default;
    }

    public override string ToString() => $"{Num}/{Den}";
}
