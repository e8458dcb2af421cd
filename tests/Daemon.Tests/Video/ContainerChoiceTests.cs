using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Probing;

namespace ResShift.Daemon.Tests.Video;

/// <summary>Which container `same` keeps: the input's when it carries every stream of the result, else MKV with each reason.</summary>
public sealed class ContainerChoiceTests
{
    private static MediaProbe Restored(params (StreamKind Kind, string Codec, string? File)[] streams) => new()
    {
        FormatName = "matroska,webm",
        Streams = [.. streams.Select((s, i) => new StreamProbe { Index = i, Kind = s.Kind, Codec = s.Codec, FileName = s.File })],
    };

    [Fact]
    public void An_mp4_stays_mp4_only_while_it_can_carry_every_stream()
    {
        const string mp4 = "mov,mp4,m4a,3gp,3g2,mj2";
        ContainerChoice kept = ContainerChoice.Choose(ContainerMode.Same, mp4, "a/clip.mp4", Restored((StreamKind.Video, "hevc", null), (StreamKind.Audio, "aac", null)));
        Assert.Equal(OutputContainer.Mp4, kept.Container);
        Assert.Empty(kept.FallbackReasons);

        ContainerChoice fallback = ContainerChoice.Choose(ContainerMode.Same, mp4, "clip.mp4",
            Restored((StreamKind.Video, "ffv1", null), (StreamKind.Audio, "aac", null), (StreamKind.Subtitle, "subrip", null), (StreamKind.Attachment, "ttf", "font.ttf")));
        Assert.Equal(OutputContainer.Mkv, fallback.Container);
        Assert.Equal(
        [
            "stream 0 (video ffv1): mp4 does not carry ffv1 video (it carries h264, hevc, av1, mpeg4)",
            "stream 2 (subtitle subrip): mp4 does not carry subrip subtitles (it carries mov_text)",
            "stream 3 (attachment ttf font.ttf): mp4 has no attachments",
        ], fallback.FallbackReasons);
    }

    [Fact]
    public void Mov_webm_and_containers_not_written_here_are_told_apart_by_format_and_name()
    {
        Assert.Equal(OutputContainer.Mov, ContainerChoice.Choose(ContainerMode.Same, "mov,mp4,m4a,3gp,3g2,mj2", "clip.MOV", Restored((StreamKind.Video, "prores", null))).Container);
        Assert.Equal(OutputContainer.Webm, ContainerChoice.Choose(ContainerMode.Same, "matroska,webm", "clip.webm", Restored((StreamKind.Video, "av1", null), (StreamKind.Audio, "opus", null))).Container);
        ContainerChoice avi = ContainerChoice.Choose(ContainerMode.Same, "avi", "clip.avi", Restored((StreamKind.Video, "h264", null)));
        Assert.Equal(OutputContainer.Mkv, avi.Container);
        Assert.Equal(["the input's container (avi) is not one written here (mkv, mp4, mov, webm)"], avi.FallbackReasons);
        // mkv mode never looks at the input.
        Assert.Equal(OutputContainer.Mkv, ContainerChoice.Choose(ContainerMode.Mkv, "mov,mp4,m4a,3gp,3g2,mj2", "clip.mp4", Restored((StreamKind.Video, "h264", null))).Container);
    }
}
