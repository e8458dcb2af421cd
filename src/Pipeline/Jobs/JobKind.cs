namespace ResShift.Pipeline.Jobs;

/// <summary>The kinds of restoration job; each writes its own block of the common sidecar (<see cref="ProvenanceSidecar"/>).</summary>
public enum JobKind
{
    /// <summary>A still image through the tiled diffusion pipeline.</summary>
    Image,
    /// <summary>A video: frames through the same pipeline, encoded, every other stream copied.</summary>
    Video,
    /// <summary>An image through BIRD's zero-shot inversion (a BIRD model).</summary>
    Bird,
}
