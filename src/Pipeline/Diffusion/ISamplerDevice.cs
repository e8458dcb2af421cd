namespace ResShift.Pipeline.Diffusion;

/// <summary>
/// Where the whole sampling loop of one batch lives when it stays on a device (issue 11 §3): the batch's tensors
/// (lq, up, x, scaled, x0, image) are the device's own buffers, so between the one upload and the one download
/// nothing crosses to the host. Each operation is queued in order (on a GPU: one compute stream); the awaited
/// ones are the network calls and the download. The arithmetic of <see cref="Update"/> is the fused kernel
/// <c>rs_sampler_update</c>: x = c1·x + c2·x0 (skipped without x0) + σ·s_tile·ε(step), then scaled = x / next.
/// <see cref="HostSamplerDevice"/> implements it on the CPU with the kernels' C# counterparts; a CUDA
/// implementation over ResShiftKernels and the TensorRT contexts is the next step.
/// </summary>
public interface ISamplerDevice
{
    /// <summary>The batch's tiles: noise keys and latent origins, one per tile (the kernel's rs_tile_noise records).</summary>
    void SetTiles(IReadOnlyList<TileNoiseOrigin> origins);

    /// <summary>The one upload: N padded LQ tiles, N×C×t×t in [-1, 1].</summary>
    void UploadLq(ReadOnlyMemory<float> lq);

    /// <summary>up = bicubic ×s of lq.</summary>
    void Upsample();

    /// <summary>x = E(up).</summary>
    ValueTask EncodeAsync(CancellationToken cancellationToken);

    /// <summary>x = c1·x + c2·x0 (when <paramref name="withX0"/>) + σ·s_tile·ε(step); then scaled = x / <paramref name="nextInputStd"/> unless it is 0.</summary>
    void Update(int step, float c1, float c2, bool withX0, float sigma, float nextInputStd);

    /// <summary>x0 = D(scaled, t, lq).</summary>
    ValueTask DenoiseAsync(long t, CancellationToken cancellationToken);

    /// <summary>image = Dec(x).</summary>
    ValueTask DecodeAsync(CancellationToken cancellationToken);

    /// <summary>The one download: N decoded tiles, N×C×(t·s)×(t·s), not clamped.</summary>
    ValueTask DownloadAsync(Memory<float> output, CancellationToken cancellationToken);
}

/// <summary>
/// The ResShift loop expressed as device operations (the same maths as <see cref="DiffusionSampler"/>, which
/// calls the engines through host memory): upload; up = bicubic(lq); x = E(up); x += prior_std·s·ε_T and
/// scaled = x / input_std[T-1]; for t = T-1..0: x0 = D(scaled, t, lq); x = c1[t]·x + c2[t]·x0 (+ σ[t]·s·ε_t when
/// t &gt; 0) and scaled = x / input_std[t-1]; image = Dec(x); download. The steps are the schedule's timesteps (a prefix
/// of T-1..0), the last one's x0 being the result. The order is the only thing this class owns.
/// </summary>
public sealed class DeviceSamplerLoop(SamplerConstants constants)
{
    public async ValueTask SampleAsync(ISamplerDevice device, ReadOnlyMemory<float> lq, IReadOnlyList<TileNoiseOrigin> origins,
        Memory<float> output, CancellationToken cancellationToken)
    {
        SamplerConstants k = constants;
        device.SetTiles(origins);
        device.UploadLq(lq);
        device.Upsample();
        await device.EncodeAsync(cancellationToken).ConfigureAwait(false);
        device.Update(k.T, 1f, 0f, withX0: false, k.PriorStd, k.InputStd[k.T - 1]);
        int[] steps = k.Timesteps;
        for (int i = 0; i < steps.Length; i++)
        {
            int t = steps[i];
            cancellationToken.ThrowIfCancellationRequested();
            await device.DenoiseAsync(t, cancellationToken).ConfigureAwait(false);
            if (i < steps.Length - 1)
                device.Update(t, k.C1[t], k.C2[t], withX0: true, k.Sigma[t], k.InputStd[steps[i + 1]]);
            else // the last call's x0 is the result (t = 0: the update itself; SinSR's t = 14: its pred_xstart)
                device.Update(t, 0f, 1f, withX0: true, 0f, 0f);
        }
        await device.DecodeAsync(cancellationToken).ConfigureAwait(false);
        await device.DownloadAsync(output, cancellationToken).ConfigureAwait(false);
    }
}
