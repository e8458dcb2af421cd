using Microsoft.Win32.SafeHandles;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Files;

/// <summary>
/// A job's input and output inside root directories, every path resolved at the moment of use with no link
/// followed (<see cref="RootDirectory"/>). The input must be a regular file within <see cref="MaxInputBytes"/>
/// and start like an image, both known before it is read (streamed, <see cref="OpenInputAsync"/>, or whole). The output and its companion (the provenance
/// sidecar) are written to temporary files first; the companion is renamed into place first and the output
/// last, so an output is never visible without it. Neither replaces an existing file unless
/// <see cref="ReplaceOutput"/>.
/// </summary>
public sealed class RootedJobFiles(RootDirectory inputRoot, string input, RootDirectory outputRoot, string output) : IJobFiles
{
    public RootDirectory InputRoot { get; } = inputRoot;
    public string Input { get; } = input;
    public RootDirectory OutputRoot { get; } = outputRoot;
    public string Output { get; private set; } = output;

    public long MaxInputBytes { get; init; } = 1L << 30;

    /// <summary>
    /// Test hook (RESSHIFT_TEST_HOLD_OUTPUT_MS): every output waits that long, written under its temporary name,
    /// before it is placed, so a test can kill the process while the temporary file exists.
    /// </summary>
    private static readonly TimeSpan? HoldBeforePlacing =
        int.TryParse(Environment.GetEnvironmentVariable("RESSHIFT_TEST_HOLD_OUTPUT_MS"), out int ms) && ms > 0 ? TimeSpan.FromMilliseconds(ms) : null;

    /// <summary>Replace an existing output (the caller has proved it is ours); otherwise an existing name is refused.</summary>
    public bool ReplaceOutput { get; init; }

    /// <summary>The companion's name and content for the output name actually written (e.g. the provenance sidecar).</summary>
    public Func<string, JobReport, (string Name, Func<Stream, CancellationToken, Task> Write)>? Companion { get; init; }

    /// <summary>When the output name is taken: the next name to try (null: refuse). Lets an intake pick distinct names.</summary>
    public Func<string, int, string?>? Alternative { get; init; }

    public ValueTask<SafeFileHandle?> OpenInputAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        SafeFileHandle handle = InputRoot.OpenRead(Input, MaxInputBytes, out _);
        try
        {
            Span<byte> head = stackalloc byte[16];
            int n = RandomAccess.Read(handle, head, 0);
            if (n > 0 && !ImageSignature.IsImage(head[..n]))
                throw new ImageDecodeException(Input, ImageDecodeFailure.UnknownFormat, "does not start like a PNG, JPEG, TIFF or WebP file; not read further");
            return ValueTask.FromResult<SafeFileHandle?>(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public async ValueTask<byte[]> ReadInputAsync(CancellationToken cancellationToken)
    {
        await using Stream s = InputRoot.OpenReadStream(Input, MaxInputBytes);
        byte[] head = new byte[16];
        int n = await s.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (n > 0 && !ImageSignature.IsImage(head.AsSpan(0, n)))
            throw new ImageDecodeException(Input, ImageDecodeFailure.UnknownFormat, "does not start like a PNG, JPEG, TIFF or WebP file; not read further");
        var all = new MemoryStream();
        all.Write(head, 0, n);
        await s.CopyToAsync(all, cancellationToken).ConfigureAwait(false);
        return all.ToArray();
    }

    /// <summary>Where the output is (after <see cref="WriteOutputAsync"/>: where it was written).</summary>
    public string OutputFullPath => System.IO.Path.Combine(OutputRoot.Path, Output);

    public async Task<string> WriteOutputAsync(Func<Stream, CancellationToken, Task> write, JobReport report, CancellationToken cancellationToken)
    {
        try
        {
            return await WriteAsync(write, report, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e is UnauthorizedIOException || e.HResult is Native.FileNativeMethods.EACCES or Native.FileNativeMethods.EPERM or Native.FileNativeMethods.EROFS)
        {
            throw new OutputNotWritableException(OutputRoot.Path, e); // the folder's fault: retried, never the input failed
        }
    }

    private async Task<string> WriteAsync(Func<Stream, CancellationToken, Task> write, JobReport report, CancellationToken cancellationToken)
    {
        using RootDirectory.PendingWrite output = await OutputRoot.PrepareAsync(Output, write, cancellationToken).ConfigureAwait(false);
        if (HoldBeforePlacing is { } hold) await Task.Delay(hold, cancellationToken).ConfigureAwait(false);
        for (int attempt = 1; ; attempt++)
        {
            RootDirectory.PendingWrite? companion = null;
            try
            {
                if (Companion?.Invoke(Output, report) is var (name, writeCompanion))
                {
                    companion = await OutputRoot.PrepareAsync(name, writeCompanion, cancellationToken).ConfigureAwait(false);
                    // A companion without its output is an orphan of an interrupted write: it may be replaced.
                    companion.Commit(ReplaceOutput || OutputRoot.Stat(Output) is null);
                }
                output.Commit(ReplaceOutput);
                return OutputFullPath;
            }
            catch (FileExistsException)
            {
                // The name was taken after all: a companion placed for it must not stay behind, or a foreign file
                // would look like one of ours (a sidecar naming this service).
                companion?.Retract();
                if (Alternative?.Invoke(Output, attempt + 1) is not { } next) throw;
                Output = next;
                output.Retarget(next);
            }
            finally
            {
                companion?.Dispose();
            }
        }
    }
}
