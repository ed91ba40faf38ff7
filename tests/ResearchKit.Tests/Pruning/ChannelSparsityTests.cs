using ResearchKit.Models;
using ResearchKit.Pruning;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tests.Pruning;

public class ChannelSparsityTests
{
    /// <summary>Rewrites a tensor's values in place (row-major index of a (o, c, kh, kw) weight: ((f·c + j)·kh + y)·kw + x).</summary>
    internal static void Edit(Tensor t, Action<float[]> change)
    {
        var v = t.ToArray();
        change(v);
        using (Torch.NoGrad()) t.CopyFrom(Tensor.FromArray(v, t.Shape.ToArray()));
    }

    internal static void ZeroFilter(float[] w, int f, int c, int k) => Array.Clear(w, f * c * k, c * k);

    internal static void ZeroInput(float[] w, int j, int o, int c, int k)
    {
        for (int f = 0; f < o; f++) Array.Clear(w, (f * c + j) * k, k);
    }

    [Fact]
    public void CountsZeroWeightsFiltersAndInputs_OfAHandBuiltBlock()
    {
        var block = new PreActBasicBlock(4, 6, stride: 1, generator: new Generator(1)); // conv1 6×4×3×3, conv2 6×6×3×3, downsample 6×4×1×1
        Edit(((Conv2d)block.Conv1).Weight, w =>
        {
            ZeroFilter(w, 1, 4, 9); ZeroFilter(w, 4, 4, 9);          // 2 zero filters: 72 zeros
            ZeroInput(w, 2, 6, 4, 9);                                // input 2 in filters 0, 2, 3, 5: 27 more (filter 3 see below)
            ZeroFilter(w, 3, 4, 9); w[(3 * 4 + 1) * 9 + 4] = 0.5f;    // filter 3 all zero but one entry: not a zero filter, 35 zeros
            w[0] = 0f; w[(5 * 4 + 3) * 9 + 8] = 0f;                  // two scattered zeros outside input 2
        });
        Edit(((Conv2d)block.Conv2).Weight, w =>
        {
            ZeroFilter(w, 0, 6, 9);                                  // 54
            ZeroInput(w, 3, 6, 6, 9); ZeroInput(w, 5, 6, 6, 9);      // 2 inputs × 5 remaining filters × 9 = 90
        });

        var report = ChannelSparsity.Of(block);
        Assert.Equal(["conv1", "conv2", "downsample.0"], report.Layers.Select(r => r.Path));
        var c1 = report["conv1"]!;
        Assert.Equal((216L, 72L + 27 + 35 + 2, 6, 2, 4, 1), (c1.Weights, c1.ZeroWeights, c1.OutputChannels, c1.ZeroOutputChannels, c1.InputChannels, c1.ZeroInputChannels));
        Assert.Equal(2.0 / 6, c1.ChannelSparsity, 12);
        var c2 = report["conv2"]!;
        Assert.Equal((324L, 54L + 90, 6, 1, 6, 2), (c2.Weights, c2.ZeroWeights, c2.OutputChannels, c2.ZeroOutputChannels, c2.InputChannels, c2.ZeroInputChannels));
        var ds = report["downsample.0"]!;
        Assert.Equal((24L, 0L, 0, 0), (ds.Weights, ds.ZeroWeights, ds.ZeroOutputChannels, ds.ZeroInputChannels));
        var t = report.Total;
        Assert.Equal((564L, 136L + 144, 18, 3, 4 + 6 + 4, 3), (t.Weights, t.ZeroWeights, t.OutputChannels, t.ZeroOutputChannels, t.InputChannels, t.ZeroInputChannels));
        Assert.Equal(280.0 / 564, t.UnstructuredSparsity, 12); // weighted by size, not the mean of the layer ratios
        Assert.Equal(3.0 / 18, t.ChannelSparsity, 12);

        // The tuple overload counts the same tensors the same way.
        var again = ChannelSparsity.Of(block.NamedModules().Where(m => m.Module is Conv2d).Select(m => (m.Name, ((Conv2d)m.Module).Weight)));
        Assert.Equal(report.Layers, again.Layers);
        Assert.Equal(4, report.ToTable().RowCount);
    }

    [Fact]
    public void QuantizedConvolutions_AreReadThroughTheirQuantizer()
    {
        var conv = new Conv2d(3, 4, 3, bias: false, generator: new Generator(2));
        // Filter 2 gets tiny weights: TWN's threshold 0.7·mean|W| sends all of them to 0, the raw weight has none.
        Edit(conv.Weight, w => { for (int i = 2 * 27; i < 3 * 27; i++) w[i] *= 1e-3f; });
        var ternary = new TernaryQuantizer();
        float delta = ternary.Thresholds(conv.Weight).Delta[0];
        long expectedZeros = conv.Weight.ToArray().Count(v => Math.Abs(v) <= delta);
        Assert.True(expectedZeros > 27, "the threshold should also zero some ordinary weights");

        var raw = ChannelSparsity.Of(new Sequential(conv));
        Assert.Equal((0L, 0), (raw.Total.ZeroWeights, raw.Total.ZeroOutputChannels));

        var shared = ChannelSparsity.Of(new Sequential(new SharedQuantConv2d(conv, ternary)));
        Assert.Equal((expectedZeros, 1), (shared.Total.ZeroWeights, shared.Total.ZeroOutputChannels));
        Assert.Equal("0", shared.Layers[0].Path);

        var q = new QuantConv2d(3, 4, 3, new TernaryQuantizer(), bias: false);
        using (Torch.NoGrad()) q.Weight.CopyFrom(conv.Weight);
        var own = ChannelSparsity.Of(new Sequential(q));
        Assert.Equal((expectedZeros, 1), (own.Total.ZeroWeights, own.Total.ZeroOutputChannels));
        Assert.Null(conv.Weight.Grad); // read under no-grad: nothing was recorded
    }

    [Fact]
    public void EveryConvolutionOfAMember_IsListed_AndBadWeightsAreRejected()
    {
        var report = ChannelSparsity.Of(new PreActResNetCifar(8, 10, 1, generator: new Generator(3)));
        Assert.Equal(1 + 3 * 2 + 2, report.Layers.Count); // stem, two per block, two projections
        Assert.Equal(0, report.Total.ZeroOutputChannels);
        var ex = Assert.Throws<ArgumentException>(() => ChannelSparsity.Of([("fc", Tensor.Zeros(3, 4))]));
        Assert.Contains("4-D", ex.Message);
        Assert.Throws<ArgumentException>(() => ChannelSparsity.Of([("", Tensor.Zeros(1, 1, 1, 1))]));
    }
}
