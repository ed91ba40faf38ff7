using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// ResNet-18 adapted to CIFAR as in §5.4.1 (protocols §2.6): a 3×3 stride-1 stem with 64 channels whose output goes directly
/// to the first residual stage (no max-pool); the rest is <see cref="ResNet18"/>. Input (N, inChannels, 32, 32).
/// </summary>
public sealed class ResNet18Cifar : ResNet18
{
    /// <summary>Builds the network (§5.4.1).</summary>
    /// <param name="numClasses">Classes (10 for CIFAR-10, 100 for CIFAR-100).</param>
    /// <param name="fcBias">Whether the classifier has a bias (false for AMS, §5.4.1).</param>
    /// <param name="inChannels">Input channels (3; 1 for grey stand-ins).</param>
    /// <param name="generator">Random source for the initialization.</param>
    /// <param name="layers">Builds the layers (quantized layers through a factory).</param>
    /// <exception cref="ArgumentException">numClasses or inChannels not positive.</exception>
    public ResNet18Cifar(int numClasses = 10, bool fcBias = true, int inChannels = 3, Generator? generator = null, LayerFactory? layers = null)
        : base(imageNetStem: false, numClasses, fcBias, inChannels, generator, layers) { }
}
