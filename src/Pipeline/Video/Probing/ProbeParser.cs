using System.Globalization;
using System.Text.Json;

namespace ResShift.Pipeline.Video.Probing;

/// <summary>Reads ffprobe's JSON (<c>-show_format -show_streams -show_chapters -count_packets</c>) into a <see cref="MediaProbe"/>.</summary>
public static class ProbeParser
{
    public static MediaProbe Parse(string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        JsonElement format = root.TryGetProperty("format", out JsonElement f) ? f : default;
        var streams = new List<StreamProbe>();
        if (root.TryGetProperty("streams", out JsonElement ss))
            foreach (JsonElement s in ss.EnumerateArray()) streams.Add(Stream(s));
        var chapters = new List<ChapterProbe>();
        if (root.TryGetProperty("chapters", out JsonElement cs))
            foreach (JsonElement c in cs.EnumerateArray())
                chapters.Add(new ChapterProbe(Double(c, "start_time") ?? 0, Double(c, "end_time") ?? 0, Tags(c).GetValueOrDefault("title")));
        return new MediaProbe
        {
            FormatName = format.ValueKind == JsonValueKind.Object ? Str(format, "format_name") ?? "" : "",
            StartTime = format.ValueKind == JsonValueKind.Object ? Double(format, "start_time") : null,
            Duration = format.ValueKind == JsonValueKind.Object ? Double(format, "duration") : null,
            Tags = format.ValueKind == JsonValueKind.Object ? Tags(format) : new Dictionary<string, string>(),
            Streams = streams,
            Chapters = chapters,
        };
    }

    /// <summary>Reads the HDR10 side data of the first frame (<c>-read_intervals %+#1 -show_frames</c>); null when absent.</summary>
    public static Hdr10Metadata? ParseHdr10(string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("frames", out JsonElement frames)) return null;
        foreach (JsonElement frame in frames.EnumerateArray())
        {
            if (!frame.TryGetProperty("side_data_list", out JsonElement list)) continue;
            JsonElement? mastering = null, light = null;
            foreach (JsonElement sd in list.EnumerateArray())
            {
                string? type = Str(sd, "side_data_type");
                if (type == "Mastering display metadata") mastering = sd;
                else if (type == "Content light level metadata") light = sd;
            }
            if (mastering is not { } m) continue;
            return new Hdr10Metadata
            {
                RedX = R(m, "red_x"), RedY = R(m, "red_y"), GreenX = R(m, "green_x"), GreenY = R(m, "green_y"),
                BlueX = R(m, "blue_x"), BlueY = R(m, "blue_y"), WhiteX = R(m, "white_point_x"), WhiteY = R(m, "white_point_y"),
                MinLuminance = R(m, "min_luminance"), MaxLuminance = R(m, "max_luminance"),
                MaxContent = light is { } l ? Int(l, "max_content") : null,
                MaxAverage = light is { } l2 ? Int(l2, "max_average") : null,
            };
        }
        return null;
    }

    /// <summary>Reads packet pts (<c>-show_entries packet=pts</c>) into a list in file order (not sorted).</summary>
    public static List<long> ParsePacketPts(string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        var pts = new List<long>();
        if (!doc.RootElement.TryGetProperty("packets", out JsonElement packets)) return pts;
        foreach (JsonElement p in packets.EnumerateArray())
            if (Long(p, "pts") is { } v) pts.Add(v);
        return pts;
    }

    private static StreamProbe Stream(JsonElement s)
    {
        Dictionary<string, string> tags = Tags(s);
        bool attachedPic = s.TryGetProperty("disposition", out JsonElement disp) && Int(disp, "attached_pic") == 1;
        int rotation = 0;
        if (s.TryGetProperty("side_data_list", out JsonElement sides))
            foreach (JsonElement sd in sides.EnumerateArray())
                if (Int(sd, "rotation") is { } r) rotation = r;
        if (rotation == 0 && tags.TryGetValue("rotate", out string? rt) && int.TryParse(rt, CultureInfo.InvariantCulture, out int tr)) rotation = -tr;
        return new StreamProbe
        {
            Index = Int(s, "index") ?? 0,
            Kind = Str(s, "codec_type") switch
            {
                "video" => StreamKind.Video, "audio" => StreamKind.Audio, "subtitle" => StreamKind.Subtitle,
                "attachment" => StreamKind.Attachment, "data" => StreamKind.Data, _ => StreamKind.Unknown,
            },
            Codec = Str(s, "codec_name"),
            Language = tags.GetValueOrDefault("language"),
            Title = tags.GetValueOrDefault("title"),
            Tags = tags,
            StartTime = Double(s, "start_time"),
            StartPts = Long(s, "start_pts"),
            TimeBase = Rational.Parse(Str(s, "time_base")),
            Packets = Long(s, "nb_read_packets"),
            AttachedPicture = attachedPic,
            Width = Int(s, "width") ?? 0,
            Height = Int(s, "height") ?? 0,
            PixelFormat = Str(s, "pix_fmt"),
            BitsPerRawSample = Int(s, "bits_per_raw_sample"),
            ColorRange = Str(s, "color_range"),
            ColorSpace = Str(s, "color_space"),
            ColorTransfer = Str(s, "color_transfer"),
            ColorPrimaries = Str(s, "color_primaries"),
            FieldOrder = Str(s, "field_order"),
            RFrameRate = Rational.Parse(Str(s, "r_frame_rate")),
            AvgFrameRate = Rational.Parse(Str(s, "avg_frame_rate")),
            Rotation = rotation,
            FileName = tags.GetValueOrDefault("filename"),
            MimeType = tags.GetValueOrDefault("mimetype"),
        };
    }

    private static Dictionary<string, string> Tags(JsonElement e)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.TryGetProperty("tags", out JsonElement t) && t.ValueKind == JsonValueKind.Object)
            foreach (JsonProperty p in t.EnumerateObject()) tags[p.Name] = p.Value.ToString();
        return tags;
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) ? v.ToString() : null;

    private static int? Int(JsonElement e, string name) =>
        Str(e, name) is { } s && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;

    private static long? Long(JsonElement e, string name) =>
        Str(e, name) is { } s && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : null;

    private static double? Double(JsonElement e, string name) =>
        Str(e, name) is { } s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;

    private static Rational R(JsonElement e, string name) => Rational.Parse(Str(e, name));
}
