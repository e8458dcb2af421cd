using ResShift.Pipeline.Imaging;

namespace ResShift.Pipeline.Processing;

/// <summary>
/// What a model's task accepts as a job (model.json "input"): whether each image comes with a mask, and whether
/// it must be one exact size (face restoration takes aligned 512×512 crops). Data, not a branch per model.
/// </summary>
public sealed record InputContract(bool Mask, int? ExactSize, string? Accepts)
{
    /// <summary>Super-resolution: any size, no mask.</summary>
    public static InputContract Any { get; } = new(false, null, null);

    /// <summary>Throws (an input error: permanent for that job) with the job's name and what the model accepts when <paramref name="lq"/> does not fit.</summary>
    public void Check(string jobName, LqImage lq)
    {
        string accepts = Accepts is null ? "" : $"; the model accepts {Accepts}";
        if (Mask && !lq.HasMask)
            throw new ImageDecodeException(jobName, ImageDecodeFailure.Mask, $"this model fills masked areas and needs a mask for each image (--mask, or NAME.mask.png next to it){accepts}");
        if (!Mask && lq.HasMask)
            throw new ImageDecodeException(jobName, ImageDecodeFailure.Mask, $"a mask was given but this model takes none (masks are for inpainting models){accepts}");
        if (ExactSize is int size && (lq.Width != size || lq.Height != size))
            throw new ImageDecodeException(jobName, ImageDecodeFailure.WrongSize, $"the image is {lq.Width}×{lq.Height}, this model takes exactly {size}×{size}{accepts}");
    }
}
