namespace ResearchKit.Data;

/// <summary>
/// How sequential-MNIST pixels are standardized. The thesis says "Standardization is applied on each image" (§4.5.1)
/// without saying whether the statistics are the image's own or the dataset's; both readings are offered.
/// </summary>
public enum MnistStandardization
{
    /// <summary>Each image to mean 0 and standard deviation 1 over its own pixels (the default reading).</summary>
    PerImage,

    /// <summary>Every pixel as (x − 0.1307) / 0.3081, MNIST's training-set mean and standard deviation (torchvision's usual normalization).</summary>
    Dataset,
}
