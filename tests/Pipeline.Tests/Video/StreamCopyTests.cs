using ResShift.Pipeline.Video.Probing;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>Proof item 5: every other stream, the chapters and the title are carried over without re-encoding, in sync.</summary>
public sealed class StreamCopyTests : IDisposable
{
    private readonly VideoFixtures _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Audio_subtitles_font_chapters_and_title_are_kept_and_the_start_offset_too()
    {
        string input = await _f.RichMkvAsync();
        string output = _f.PathOf("out/rich.mkv");
        await VideoRun.RunAsync(new IdentityEngine(), input, output, new() { SegmentFrames = 10 });
        MediaProbe a = await _f.ProbeAsync(input), b = await _f.ProbeAsync(output);

        foreach (StreamKind kind in Enum.GetValues<StreamKind>())
            Assert.Equal(a.OfKind(kind).Count(), b.OfKind(kind).Count());
        Assert.Equal(a.Streams.Select(s => (s.Kind, s.Codec, s.Language)).Where(s => s.Kind != StreamKind.Video),
            b.Streams.Select(s => (s.Kind, s.Codec, s.Language)).Where(s => s.Kind != StreamKind.Video));
        StreamProbe font = Assert.Single(b.OfKind(StreamKind.Attachment));
        Assert.Equal(("font.ttf", "application/x-truetype-font"), (font.FileName, font.MimeType));
        Assert.Equal(a.Chapters.Select(c => c.Title), b.Chapters.Select(c => c.Title));
        for (int i = 0; i < a.Chapters.Count; i++)
        {
            Assert.InRange(b.Chapters[i].Start - a.Chapters[i].Start, -0.001, 0.001);
            Assert.InRange(b.Chapters[i].End - a.Chapters[i].End, -0.001, 0.001);
        }
        Assert.Equal("Demo title", b.Tags["title"]);

        int audioIn = a.OfKind(StreamKind.Audio).Single().Index, audioOut = b.OfKind(StreamKind.Audio).Single().Index;
        Assert.Equal(await _f.StreamMd5Async(input, $"0:{audioIn}"), await _f.StreamMd5Async(output, $"0:{audioOut}"));
        int subIn = a.OfKind(StreamKind.Subtitle).Single().Index, subOut = b.OfKind(StreamKind.Subtitle).Single().Index;
        Assert.Equal(await _f.StreamMd5Async(input, $"0:{subIn}"), await _f.StreamMd5Async(output, $"0:{subOut}"));

        double offsetIn = a.Video!.StartTime!.Value - a.OfKind(StreamKind.Audio).Single().StartTime!.Value;
        double offsetOut = b.Video!.StartTime!.Value - b.OfKind(StreamKind.Audio).Single().StartTime!.Value;
        Assert.True(offsetIn > 0.01, $"the fixture's video starts {offsetIn * 1000:F1} ms after its audio");
        Assert.InRange(offsetOut - offsetIn, -0.001, 0.001);
        Assert.InRange(b.Duration!.Value - a.Duration!.Value, -0.04, 0.04); // within one frame at 25 fps
    }
}
