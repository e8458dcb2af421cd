using System.Text.Json.Nodes;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Noise;

namespace ResShift.Pipeline.Bird;

/// <summary>What a finished BIRD job wrote.</summary>
public sealed record BirdJobResult(string OutputPath, string SidecarPath, string? KernelPath, int Iterations, int ResumedFrom, double FinalLoss);

/// <summary>
/// One BIRD restoration of a file: decodes and checks the input (the UNet accepts only its trained size), builds
/// the task's observation and operator, starts z from the seeded counter-based noise (or resumes from the last
/// checkpoint next to the output), iterates through the shared <see cref="IEpsilonModel"/>, checkpoints every K
/// iterations, and writes the restored image, for blind deblurring the kernel (16-bit PNG), and a sidecar.
/// </summary>
public sealed class BirdRestoreJob(string inputPath, string outputPath, ModelManifest manifest, BirdJobSettings settings,
    ImageDecoder decoder, ImageEncoder encoder)
{
    public string InputPath => inputPath;
    public string OutputPath => outputPath;
    public string CheckpointPath => outputPath + ".bird-checkpoint";
    public string SidecarPath => outputPath + ".resshift.json";
    public string KernelPath => Path.ChangeExtension(outputPath, null) + ".kernel.png";

    /// <summary>How status and metrics name the job (default: the input's file name).</summary>
    public string? Name { get; init; }

    /// <summary>
    /// Where the daemon's job reads and writes (root handles, no link followed, nothing replaced unless allowed);
    /// null: by path (the CLI, whose user names the files).
    /// </summary>
    public BirdJobFiles? Files { get; init; }

    /// <summary>Called after each iteration with (iteration, total, loss).</summary>
    public Action<int, int, double>? IterationDone { get; init; }

    /// <summary>
    /// Called with the reason when a checkpoint beside the output is ignored (unreadable, or of the right job but
    /// not fitting it) and the job starts fresh; the sidecar records the reason too.
    /// </summary>
    public Action<string>? CheckpointIgnored { get; init; }

    public async Task<BirdJobResult> RunAsync(IEpsilonModel model, CancellationToken cancellationToken)
    {
        try
        {
            return await RunCoreAsync(model, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            BirdMetrics.Finished(this);
        }
    }

    private async Task<BirdJobResult> RunCoreAsync(IEpsilonModel model, CancellationToken cancellationToken)
    {
        settings.Validate();
        if (!manifest.IsBird) throw new ArgumentException($"model '{manifest.Id}' is not a BIRD model");
        BirdSpec spec = manifest.Bird!;
        int r = spec.Image, plane = r * r, d = 3 * plane;
        int total = settings.IterationsOrDefault;
        byte[] inputBytes = Files is null
            ? await File.ReadAllBytesAsync(inputPath, cancellationToken).ConfigureAwait(false)
            : await Files.ReadInputAsync(cancellationToken).ConfigureAwait(false);
        ContentKey content = ContentKey.Of(inputBytes);
        ulong jobKey = NoiseField.DeriveJobKey(settings.Seed, content.NoiseKey ^ (ulong)settings.Task);

        float[] y;
        using (DecodedImage img = decoder.Decode(inputBytes, inputPath, cancellationToken))
        {
            int want = settings.Task == BirdTask.Sr8 ? r / 8 : r;
            if (img.Width != want || img.Height != want)
                throw new InvalidDataException(settings.Task == BirdTask.Sr8
                    ? $"{Path.GetFileName(inputPath)} is {img.Width}×{img.Height}; sr8 with model '{manifest.Id}' takes the {want}×{want} low-resolution image (the model only produces {r}×{r})"
                    : $"{Path.GetFileName(inputPath)} is {img.Width}×{img.Height}; model '{manifest.Id}' accepts only {r}×{r} images");
            y = new float[3 * want * want];
            img.Pixels.Rgb.CopyTo(y);
            System.Numerics.Tensors.TensorPrimitives.Multiply(y, 2f, y);
            System.Numerics.Tensors.TensorPrimitives.Subtract(y, 1f, y);
        }

        IDegradation h;
        KernelNet? net = null;
        switch (settings.Task)
        {
            case BirdTask.Deblur:
                net = KernelNet.Released();
                net.Initialise(settings.Seed, jobKey);
                h = new BlurDegradation(3, r, r, net.KernelSize);
                break;
            case BirdTask.Sr8: h = new AveragePoolDegradation(3, r, r, 8); break;
            case BirdTask.Inpaint:
                h = new MaskDegradation(LoadMask(settings.MaskPath!, r), 3);
                float[] masked = new float[d];
                h.Apply(y, masked);
                y = masked;
                break;
            default: h = new IdentityDegradation(d); break;
        }

        float[] z0 = new float[d];
        new NoiseField(settings.Seed).Fill(new NoiseRequest(jobKey, 0, 3, 0, 0, r, r), z0);
        var inversion = new BirdInversion(BirdTaskSettings.For(settings.Task), DdimSteps.From(spec), z0, y, h, net);

        int resumedFrom = 0;
        BirdCheckpoint? checkpoint = LoadCheckpoint(jobKey, total);
        if (checkpoint is not null && inversion.Misfit(checkpoint) is { } misfit)
        {
            // A checkpoint that does not fit is never a reason to fail the job (it would fail on every delivery):
            // start fresh; the next checkpoint overwrites it.
            IgnoreCheckpoint($"it does not fit this job ({misfit})");
            checkpoint = null;
        }
        if (checkpoint is not null)
        {
            inversion.Restore(checkpoint);
            resumedFrom = checkpoint.Iteration;
        }
        var losses = new List<double>(checkpoint?.Losses ?? []);
        while (inversion.Iteration < total)
        {
            double loss = await inversion.IterateAsync(model, cancellationToken).ConfigureAwait(false);
            losses.Add(loss);
            BirdMetrics.Report(this, new BirdJobProgress(Name ?? Path.GetFileName(inputPath), settings.Task.Name(), inversion.Iteration, total, loss));
            IterationDone?.Invoke(inversion.Iteration, total, loss);
            // Never checkpoint the last iteration: its x̂0 is the output, which the checkpoint does not hold.
            if (settings.CheckpointEvery > 0 && inversion.Iteration % settings.CheckpointEvery == 0 && inversion.Iteration < total)
                await SaveAsync(inversion.Snapshot() with { JobKey = jobKey, TotalIterations = total, Losses = [.. losses] }, cancellationToken).ConfigureAwait(false);
        }

        byte[] image = EncodeImage(inversion.X0, r, outputPath);
        float[]? kernel = inversion.Blur?.Kernel;
        int k = inversion.Blur?.KernelSize ?? 0;
        byte[]? kernelPng = kernel is null ? null : EncodeKernel(kernel, k);
        byte[] Sidecar(string output) => BuildSidecar(content, r, Path.GetFileName(output), total, resumedFrom, losses, kernel, k, Path.GetFileName(BirdJobFiles.KernelNameFor(output)));
        if (Files is null)
        {
            await AtomicFile.WriteAsync(outputPath, Bytes(image), cancellationToken).ConfigureAwait(false);
            if (kernelPng is not null) await AtomicFile.WriteAsync(KernelPath, Bytes(kernelPng), cancellationToken).ConfigureAwait(false);
            await AtomicFile.WriteAsync(SidecarPath, Bytes(Sidecar(outputPath)), cancellationToken).ConfigureAwait(false);
            File.Delete(CheckpointPath);
            return new BirdJobResult(outputPath, SidecarPath, kernel is null ? null : KernelPath, total, resumedFrom, inversion.LastLoss);
        }
        string written = await Files.WriteOutputsAsync(image, kernelPng, Sidecar, cancellationToken).ConfigureAwait(false);
        Files.DeleteCheckpoint();
        return new BirdJobResult(written, written + BirdJobFiles.ProvenanceSuffix, kernel is null ? null : BirdJobFiles.KernelNameFor(written), total, resumedFrom, inversion.LastLoss);
    }

    private static Func<Stream, CancellationToken, Task> Bytes(byte[] b) => (s, ct) => s.WriteAsync(b, ct).AsTask();

    private Task SaveAsync(BirdCheckpoint c, CancellationToken ct) =>
        Files is null ? c.SaveAsync(CheckpointPath, ct) : Files.SaveCheckpointAsync(c, ct);

    private BirdCheckpoint? LoadCheckpoint(ulong jobKey, int total)
    {
        BirdCheckpoint? c;
        try { c = Files is null ? BirdCheckpoint.TryLoad(CheckpointPath) : Files.LoadCheckpoint(); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            IgnoreCheckpoint($"it cannot be read ({e.Message})");
            return null;
        }
        // A checkpoint of another input, seed, task or length is not ours: start over (it is overwritten).
        return c is not null && c.JobKey == jobKey && c.TotalIterations == total && c.Iteration < total ? c : null;
    }

    private string? _checkpointIgnored;

    private void IgnoreCheckpoint(string reason)
    {
        _checkpointIgnored = reason;
        CheckpointIgnored?.Invoke($"checkpoint {Path.GetFileName(CheckpointPath)} ignored, starting from iteration 0: {reason}");
    }

    /// <summary>The mask's sha256 (recorded in the sidecar: the same output with another mask is another job).</summary>
    private string? _maskSha256;

    private float[] LoadMask(string path, int r)
    {
        // As an input: opened as a handle, refused from its first bytes unless it starts like an image, its size
        // checked from the header, hashed and decoded from the handle; never read whole.
        using Microsoft.Win32.SafeHandles.SafeFileHandle file = Files?.Mask is null ? File.OpenHandle(path) : Files.OpenMask();
        ImageSignature.Require(file, path);
        (int width, int height) = decoder.ReadSize(file, path);
        if (width != r || height != r)
            throw new InvalidDataException($"mask {Path.GetFileName(path)} is {width}×{height}; it must match the {r}×{r} input");
        using (var hashed = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(file.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1 << 16))
        {
            hashed.Position = 0; // read by offset from the start, wherever libvips left the shared descriptor offset
            _maskSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(hashed));
        }
        using DecodedImage m = decoder.Decode(file, path);
        var mask = new float[r * r];
        Span<float> rgb = m.Pixels.Rgb;
        for (int i = 0; i < mask.Length; i++)
            mask[i] = (rgb[i] + rgb[r * r + i] + rgb[2 * r * r + i]) / 3f >= 0.5f ? 1f : 0f;
        return mask;
    }

    private byte[] EncodeImage(float[] x0, int r, string path)
    {
        ImageFormat format = ImageFormats.FromPath(path) ?? throw new ArgumentException($"unknown output extension '{Path.GetExtension(path)}'; use .png, .tif, .jpg or .webp");
        using PlanarImage img = PlanarImage.Allocate(r, r, withAlpha: false);
        Span<float> rgb = img.Rgb;
        for (int i = 0; i < rgb.Length; i++) rgb[i] = Math.Clamp((x0[i] + 1f) * 0.5f, 0f, 1f);
        return encoder.EncodeToArray(img, new ImageMetadata(ChannelLayout.Rgb, 8, format), format);
    }

    private byte[] EncodeKernel(float[] kernel, int k)
    {
        using PlanarImage img = PlanarImage.Allocate(k, k, withAlpha: false);
        float max = System.Numerics.Tensors.TensorPrimitives.Max(kernel);
        for (int c = 0; c < 3; c++)
        {
            Span<float> p = img.Plane(c);
            for (int i = 0; i < k * k; i++) p[i] = max > 0 ? kernel[i] / max : 0f;
        }
        return encoder.EncodeToArray(img, new ImageMetadata(ChannelLayout.Gray, 16, ImageFormat.Png), ImageFormat.Png);
    }

    /// <summary>The common sidecar (<see cref="ProvenanceSidecar"/>) with the "bird" block: task and iterations (the key), the loss curve and the kernel.</summary>
    private byte[] BuildSidecar(ContentKey content, int size, string outputName, int total, int resumedFrom, List<double> losses, float[]? kernel, int k, string kernelPng)
    {
        var block = new JsonObject
        {
            ["resumed_from"] = resumedFrom,
            ["checkpoint_ignored"] = _checkpointIgnored,
            ["unet_calls"] = 10 * total,
            ["loss_first"] = losses.Count > 0 ? losses[0] : null,
            ["loss_final"] = losses.Count > 0 ? losses[^1] : null,
            ["losses"] = new JsonArray([.. losses.Select(l => (JsonNode)JsonValue.Create(l))]),
        };
        if (kernel is not null)
        {
            block["kernel"] = new JsonObject
            {
                ["size"] = k,
                ["png"] = kernelPng,
                ["png_scale"] = "pixel / 65535 × max",
                ["max"] = System.Numerics.Tensors.TensorPrimitives.Max(kernel),
                ["values"] = new JsonArray([.. kernel.Select(v => (JsonNode)JsonValue.Create(v))]),
            };
        }
        return new ProvenanceSidecar
        {
            Kind = "bird",
            Key = BirdProvenance.Key(manifest.Id, settings) with { Iterations = total },
            InputName = Name ?? Path.GetFileName(inputPath),
            InputSha256 = content.Sha256,
            InputWidth = size,
            InputHeight = size,
            MaskSha256 = _maskSha256,
            OutputName = outputName,
            OutputWidth = size,
            OutputHeight = size,
            Model = manifest,
            Block = block,
        }.ToUtf8();
    }
}
