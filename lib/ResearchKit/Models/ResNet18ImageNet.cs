using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// The original ResNet-18 for ImageNet (He et al. 2016; §5.4.1's ImageNet rows and Table 5.4), as torchvision's
/// <c>resnet18</c>: a 7×7 stride-2 stem and a 3×3 stride-2 max-pool before the four stages of <see cref="ResNet18"/>; 11,689,512
/// parameters with 1000 classes. Input (N, 3, 224, 224).
/// </summary>
public sealed class ResNet18ImageNet : ResNet18
{
    /// <summary>Builds the network.</summary>
    /// <param name="numClasses">Classes (1000 for ImageNet-1k).</param>
    /// <param name="fcBias">Whether the classifier has a bias.</param>
    /// <param name="inChannels">Input channels (3).</param>
    /// <param name="generator">Random source for the initialization.</param>
    /// <param name="layers">Builds the layers (quantized layers through a factory).</param>
    /// <exception cref="ArgumentException">numClasses or inChannels not positive.</exception>
    public ResNet18ImageNet(int numClasses = 1000, bool fcBias = true, int inChannels = 3, Generator? generator = null, LayerFactory? layers = null)
        : base(imageNetStem: true, numClasses, fcBias, inChannels, generator, layers) { }
}
