using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Models;

public class ResNet18ImageNetTests
{
    // torchvision resnet18 (1000 classes): the CIFAR count with a 7×7 stem (3·64·49 = 9,408 instead of 1,728) and a
    // 512·1000 + 1000 classifier (513,000 instead of 5,130): 11,173,962 − 1,728 + 9,408 − 5,130 + 513,000 = 11,689,512.
    [Fact]
    public void MatchesTorchvisionResNet18_InCountNamesAndShapes()
    {
        var model = new ResNet18ImageNet(generator: new Generator(0));
        Assert.Equal(11_689_512, model.ParameterCount());
        var cifar = new ResNet18Cifar(1000, generator: new Generator(0));
        // Same names (torchvision's), only conv1's kernel differs; the max-pool has no parameters.
        Assert.Equal(cifar.NamedParameters().Select(p => p.Name), model.NamedParameters().Select(p => p.Name));
        Assert.Equal([64, 3, 7, 7], model.NamedParameters().First(p => p.Name == "conv1.weight").Parameter.Shape.ToArray());
        model.Eval();
        using (Torch.NoGrad())
        {
            // 64×64 → stem /2 → max-pool /2 → 16×16 → stages /8 → 2×2 → pool → 1000 logits.
            Assert.Equal([2, 1000], model.Forward(Tensor.Randn([2, 3, 64, 64], new Generator(1))).Shape.ToArray());
            Assert.Equal([2, 512], model.Features(Tensor.Randn([2, 3, 64, 64], new Generator(1))).Shape.ToArray());
        }
    }

    [Fact]
    public void MemoryFootprint_TheBiggestActivationIsTheStemOutput()
    {
        // At 224×224 the largest activation is conv1's output (and its ReLU), 64×112×112; first and last layers at 8 bits.
        var model = new ResNet18ImageNet(generator: new Generator(0));
        var m = MemoryFootprint.Compute(model, QuantSpec.DoReFaPact(1, 2), [3, 224, 224]);
        Assert.Equal([1, 64, 112, 112], m.BiggestActivation.Shape.ToArray());
    }
}
