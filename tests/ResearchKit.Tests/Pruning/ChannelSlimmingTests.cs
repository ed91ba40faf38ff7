using ResearchKit.Models;
using ResearchKit.Pruning;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using static ResearchKit.Tests.Pruning.ChannelSparsityTests;

namespace ResearchKit.Tests.Pruning;

public class ChannelSlimmingTests
{
    [Fact]
    public void ReportsTheHandComputedParamsAndMacs_AndRemovableFilters()
    {
        var noise = new Generator(5);
        var block = new PreActBasicBlock(4, 6, stride: 2, noiseCoef: 0.1f, noiseGenerator: noise, generator: new Generator(4));
        Edit(((Conv2d)block.Conv1).Weight, w => { ZeroFilter(w, 1, 4, 9); ZeroFilter(w, 4, 4, 9); });
        Edit(((Conv2d)block.Conv2).Weight, w => ZeroFilter(w, 0, 6, 9));
        Edit(((Conv2d)((Sequential)block.Downsample!)[0]).Weight, w => Array.Clear(w));
        // bn2 follows conv1: running mean 0, so a zero filter's BN output is its shift β; ReLU(β) = 0 only for β ≤ 0.
        var bn2 = (BatchNorm2d)block.Bn2;
        Edit(bn2.Bias!, b => { b[1] = -0.5f; b[4] = 0.3f; });
        var noiseState = noise.GetState();

        var s = ChannelSlimming.Measure(block, [2, 4, 8, 8], repetitions: 3);
        Assert.Equal(["conv1", "conv2", "downsample.0"], s.Layers.Select(r => r.Path));
        // Stride 2: every convolution outputs 4×4 = 16 positions per image.
        var c1 = s["conv1"]!;
        Assert.Equal((2, 0, (int?)1), (c1.RemovedFilters, c1.RemovedInputs, c1.RemovableFilters));
        Assert.Equal((6L * 4 * 9, 4L * 4 * 9), (c1.ParamsBefore, c1.ParamsAfter));
        Assert.Equal((6L * 4 * 9 * 16, 4L * 4 * 9 * 16), (c1.MacsBefore, c1.MacsAfter));
        var c2 = s["conv2"]!;
        Assert.Equal((1, 2, (int?)null), (c2.RemovedFilters, c2.RemovedInputs, c2.RemovableFilters)); // conv2's inputs shrink with conv1's filters
        Assert.Equal((6L * 6 * 9, 5L * 4 * 9), (c2.ParamsBefore, c2.ParamsAfter));
        Assert.Equal((6L * 6 * 9 * 16, 5L * 4 * 9 * 16), (c2.MacsBefore, c2.MacsAfter));
        var ds = s["downsample.0"]!;
        Assert.Equal((6, 24L, 0L, 24L * 16, 0L, 0.0), (ds.RemovedFilters, ds.ParamsBefore, ds.ParamsAfter, ds.MacsBefore, ds.MacsAfter, ds.MsAfter));

        Assert.Equal((216L + 324 + 24, 144L + 180), (s.Total.ParamsBefore, s.Total.ParamsAfter));
        Assert.Equal(((216L + 324 + 24) * 16, (144L + 180) * 16), (s.Total.MacsBefore, s.Total.MacsAfter));
        Assert.Equal(1, s.Total.RemovableFilters);
        Assert.All(s.Layers, r => Assert.True(r.MsBefore > 0, $"{r.Path}: no time measured"));
        Assert.True(c1.MsAfter > 0 && c2.MsAfter > 0);

        // The shape pass leaves the model as it was: training mode, noise at inference, generator not advanced.
        Assert.True(block.Training);
        Assert.True(((FeynmanKacNoise)block.Noise).AtInference);
        Assert.Equal(noiseState, noise.GetState());
    }

    [Fact]
    public void BasicBlock_PairsConv1WithConv2ThroughBn1_AndUnaffectedConvsAreLeftOut()
    {
        var model = new ResNetCifar(8, 10, inChannels: 1, generator: new Generator(6));
        var block = (BasicBlock)((Sequential)model.Stages[0])[0];
        Edit(((Conv2d)block.Conv1).Weight, w => ZeroFilter(w, 7, 16, 9));
        var s = ChannelSlimming.Measure(model, [1, 1, 12, 12], repetitions: 1);
        Assert.Equal(["layer1.0.conv1", "layer1.0.conv2"], s.Layers.Select(r => r.Path));
        Assert.Equal((16 * 16 * 9 * 144L, 15 * 16 * 9 * 144L), (s.Layers[0].MacsBefore, s.Layers[0].MacsAfter));
        Assert.Equal((16 * 15 * 9L, 1), (s.Layers[1].ParamsAfter, s.Layers[1].RemovedInputs));
        Assert.Equal(1, s.Layers[0].RemovableFilters); // fresh bn1: shift β = 0 ≤ 0
        Assert.Throws<ArgumentException>(() => ChannelSlimming.Measure(model, [1, 12, 12]));
        Assert.Throws<ArgumentException>(() => ChannelSlimming.Measure(model, [1, 1, 12, 12], repetitions: 0));
    }
}
