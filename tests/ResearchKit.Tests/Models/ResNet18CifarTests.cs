using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tests.Models;

public class ResNet18CifarTests
{
    // Parameter count of the CIFAR ResNet-18 (3×3 stem, no max-pool) for 10 classes, by hand:
    //   stem:   conv1 3·64·9 = 1,728; bn1 2·64 = 128                                          →     1,856
    //   layer1: 2 blocks × (2·64·64·9 + 2·128) = 2 × 73,984                                    →   147,968
    //   layer2: block0 64·128·9 + 128·128·9 + 2·256 + downsample 64·128 + 256 = 230,144;
    //           block1 2·128·128·9 + 2·256 = 295,424                                           →   525,568
    //   layer3: block0 128·256·9 + 256·256·9 + 2·512 + 128·256 + 512 = 919,040;
    //           block1 2·256·256·9 + 2·512 = 1,180,672                                         → 2,099,712
    //   layer4: block0 256·512·9 + 512·512·9 + 2·1024 + 256·512 + 1024 = 3,673,088;
    //           block1 2·512·512·9 + 2·1024 = 4,720,640                                        → 8,393,728
    //   fc:     512·10 + 10 = 5,130
    //   total = 1,856 + 147,968 + 525,568 + 2,099,712 + 8,393,728 + 5,130 = 11,173,962
    private const long Params10 = 11_173_962;

    [Fact]
    public void ParameterNamesAndCount_FollowTorchvision()
    {
        var model = new ResNet18Cifar(10, generator: new Generator(0));
        Assert.Equal(Params10, model.ParameterCount());
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.Equal("conv1.weight", names[0]);
        Assert.Equal("bn1.weight", names[1]);
        Assert.Equal("fc.bias", names[^1]);
        Assert.Equal("fc.weight", names[^2]);
        foreach (var n in new[] { "layer1.0.conv1.weight", "layer1.0.bn1.bias", "layer1.1.conv2.weight", "layer2.0.downsample.0.weight",
                     "layer2.0.downsample.1.weight", "layer3.0.downsample.0.weight", "layer4.0.downsample.1.bias", "layer4.1.bn2.bias" })
            Assert.Contains(n, names);
        Assert.DoesNotContain(names, n => n.StartsWith("layer1.0.downsample", StringComparison.Ordinal) || n.StartsWith("layer2.1.downsample", StringComparison.Ordinal));
        Assert.Equal(62, names.Count); // 20 convs + 20 batch norms × 2 + fc weight and bias
        var buffers = model.StateDict().Keys.ToList();
        Assert.Contains("layer4.0.downsample.1.running_var", buffers);
        Assert.Equal(62 + 3 * 20, buffers.Count); // + running_mean, running_var, num_batches_tracked of 20 batch norms
        Assert.Equal(20, model.Modules().OfType<BatchNorm2d>().Count());
        Assert.Equal(17, model.Modules().OfType<ReLU>().Count()); // stem + 2 per block: registered, so hooks and quantization find them
        Assert.Equal(new Shape(64, 3, 3, 3), ((Conv2d)model.Conv1).Weight.Shape);
    }

    [Fact]
    public void ClassesAndBiasFreeClassifier_ChangeOnlyFc()
    {
        var noBias = new ResNet18Cifar(10, fcBias: false, generator: new Generator(0));
        Assert.Equal(Params10 - 10, noBias.ParameterCount());
        Assert.DoesNotContain("fc.bias", noBias.StateDict().Keys);
        Assert.Equal(Params10 - 5_130 + 512 * 100 + 100, new ResNet18Cifar(100, generator: new Generator(0)).ParameterCount());
        Assert.Throws<ArgumentException>(() => new ResNet18Cifar(0));
    }

    [Fact]
    public void Forward_And_Features_Shapes()
    {
        var model = new ResNet18Cifar(10, generator: new Generator(1));
        model.Eval();
        var x = Tensor.Randn([2, 3, 32, 32], new Generator(2));
        using (Torch.NoGrad())
        {
            var y = model.Forward(x);
            var f = model.Features(x);
            Assert.Equal(new Shape(2, 10), y.Shape);
            Assert.Equal(new Shape(2, 512), f.Shape);
            Assert.True(f.ToArray().All(v => v >= 0 && float.IsFinite(v))); // pooled post-ReLU features
            Assert.Equal(y.ToArray(), model.Fc.Forward(f).ToArray());
        }
        var ex = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(2, 1, 32, 32)));
        Assert.Contains("inChannels: 1", ex.Message);
    }
}
