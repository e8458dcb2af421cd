using ResShift.Daemon.Inputs;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Tests.Inputs;

public class ErrorClassifierTests
{
    [Fact]
    public void PermanentOnlyWhenTheJobAsAskedCanNeverSucceed()
    {
        Assert.Equal(new ErrorClass("path", null, false), ErrorClassifier.Classify(new JobRejectedException("path", "outside the roots")));
        ErrorClass decode = ErrorClassifier.Classify(new ImageDecodeException("x.png", ImageDecodeFailure.Corrupt, "cut short"));
        Assert.False(decode.Transient);
        Assert.Equal("input: corrupt", decode.Label);

        Assert.Equal(new ErrorClass("engine", null, true), ErrorClassifier.Classify(new EngineFailureException("denoiser", new InvalidOperationException())));
        Assert.Equal(new ErrorClass("io", null, true), ErrorClassifier.Classify(new IOException("No space left on device")));
        Assert.Equal(new ErrorClass("io", null, true), ErrorClassifier.Classify(new UnauthorizedAccessException()));
        Assert.Equal(new ErrorClass("error", null, true), ErrorClassifier.Classify(new NullReferenceException()));
    }

    [Fact]
    public void VideoFailuresAreTransientOnlyForTheEngineTheDiskOrAMissingFfmpeg()
    {
        Assert.Equal(new ErrorClass("input", "video", false), ErrorClassifier.Classify(new Pipeline.Video.VideoException("a.mp4", "no video stream")));
        Assert.Equal(new ErrorClass("engine", null, true),
            ErrorClassifier.Classify(new Pipeline.Video.VideoException("a.mp4", "restoring a frame failed", new EngineFailureException("denoiser", new InvalidOperationException()))));
        Assert.Equal(new ErrorClass("io", "video", true),
            ErrorClassifier.Classify(new Pipeline.Video.VideoException("a.mp4", "ffprobe not found",
                new Pipeline.Video.Processes.ToolNotFoundException("ffprobe", new System.ComponentModel.Win32Exception()))));
    }
}
