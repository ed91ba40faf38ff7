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
public sealed record ForegroundSegmentationOptions(
    long Seed = 0,
    int Size = 32,
    float Threshold = 0.5f,
    int Blobs = 3,
    float BlobAmplitudeMin = 0.4f,
    float BlobAmplitudeMax = 1.0f,
    float BlobSigmaMin = 1.5f,
    float BlobSigmaMax = 4.0f,
    float NoiseStd = 0.15f)
{
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
        return this;
    }
}
