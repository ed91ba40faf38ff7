namespace ResearchKit.Data;

/// <summary>
/// Settings of <see cref="ForegroundSegmentation.Build"/>: canvas size, mask threshold and the clutter added to the inputs.
/// The defaults give a task a thresholding baseline does not solve (bright blobs and noise cross the mask threshold)
/// while a small U-Net learns it in a few hundred steps.
/// </summary>
/// <param name="Seed">Seed of the clutter; image i's clutter depends only on (Seed, i).</param>
/// <param name="Size">Side of the square canvas; the source image is centred on it with zero padding (32 = 28 + 4 fits a depth-4 U-Net, 2^4 = 16 | 32).</param>
/// <param name="Threshold">A clean pixel (value/255) above this is foreground.</param>
/// <param name="Blobs">Gaussian blobs added per image (bright, smooth "clouds"/"waves" that are not foreground).</param>
/// <param name="BlobAmplitudeMin">Smallest blob peak.</param>
/// <param name="BlobAmplitudeMax">Largest blob peak.</param>
/// <param name="BlobSigmaMin">Smallest blob standard deviation, pixels.</param>
/// <param name="BlobSigmaMax">Largest blob standard deviation, pixels.</param>
/// <param name="NoiseStd">Standard deviation of the per-pixel Gaussian noise.</param>
/// <param name="Distractors">Stroke-like distractors per image (default 0, none): square fragments of other source images
/// (other digits), dimmed, added to the input but not to the mask, so contrast rather than shape tells object from clutter.</param>
/// <param name="DistractorContrastMin">Smallest factor a fragment's pixels (value/255) are multiplied by.</param>
/// <param name="DistractorContrastMax">Largest factor (below 1: fragments are dimmer than the object).</param>
/// <param name="DistractorPatch">Side of a fragment, pixels (at most the source's height and width and the canvas side).</param>
public sealed record ForegroundSegmentationOptions(
    long Seed = 0,
    int Size = 32,
    float Threshold = 0.5f,
    int Blobs = 3,
    float BlobAmplitudeMin = 0.4f,
    float BlobAmplitudeMax = 1.0f,
    float BlobSigmaMin = 1.5f,
    float BlobSigmaMax = 4.0f,
    float NoiseStd = 0.15f,
    int Distractors = 0,
    float DistractorContrastMin = 0.3f,
    float DistractorContrastMax = 0.6f,
    int DistractorPatch = 12)
{
    /// <summary>
    /// The harder variant used by the minifloat-unet recipe (our choice, sized so a small U-Net's IoU stays clearly below 1):
    /// noise σ 0.3, 3 blobs as by default, and 4 fragments (12×12) of other digits at contrast 0.4–0.8, which share the
    /// object's stroke shape and cross the 0.5 mask threshold once blobs or noise add to them.
    /// </summary>
    /// <param name="seed">Seed of the clutter.</param>
    public static ForegroundSegmentationOptions Hard(long seed = 0) =>
        new(Seed: seed, NoiseStd: 0.3f, Distractors: 4, DistractorContrastMin: 0.4f, DistractorContrastMax: 0.8f, DistractorPatch: 12);

    /// <summary>Throws when a setting is out of range; returns this for chaining.</summary>
    /// <exception cref="ArgumentException">A setting is out of range (the message names it and the valid range).</exception>
    public ForegroundSegmentationOptions Validated()
    {
        const string op = nameof(ForegroundSegmentationOptions);
        if (Size < 1) throw new ArgumentException($"{op}: Size must be positive, got {Size}.");
        if (!(Threshold is >= 0f and < 1f)) throw new ArgumentException($"{op}: Threshold must be in [0, 1), got {Threshold}.");
        if (Blobs < 0) throw new ArgumentException($"{op}: Blobs must be ≥ 0, got {Blobs}.");
        if (!(BlobAmplitudeMin >= 0f && BlobAmplitudeMax >= BlobAmplitudeMin && float.IsFinite(BlobAmplitudeMax)))
            throw new ArgumentException($"{op}: need 0 ≤ BlobAmplitudeMin ≤ BlobAmplitudeMax (finite), got {BlobAmplitudeMin} and {BlobAmplitudeMax}.");
        if (!(BlobSigmaMin > 0f && BlobSigmaMax >= BlobSigmaMin && float.IsFinite(BlobSigmaMax)))
            throw new ArgumentException($"{op}: need 0 < BlobSigmaMin ≤ BlobSigmaMax (finite), got {BlobSigmaMin} and {BlobSigmaMax}.");
        if (!(NoiseStd >= 0f && float.IsFinite(NoiseStd))) throw new ArgumentException($"{op}: NoiseStd must be finite and ≥ 0, got {NoiseStd}.");
        if (Distractors < 0) throw new ArgumentException($"{op}: Distractors must be ≥ 0, got {Distractors}.");
        if (!(DistractorContrastMin >= 0f && DistractorContrastMax >= DistractorContrastMin && float.IsFinite(DistractorContrastMax)))
            throw new ArgumentException($"{op}: need 0 ≤ DistractorContrastMin ≤ DistractorContrastMax (finite), got {DistractorContrastMin} and {DistractorContrastMax}.");
        if (DistractorPatch < 1 || DistractorPatch > Size)
            throw new ArgumentException($"{op}: DistractorPatch must be in [1, Size = {Size}], got {DistractorPatch}.");
        return this;
    }
}
