using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>Finite-difference checks of the fused modules (all inputs, initial states and parameters).</summary>
public class RecurrentGradCheckTests
{
    private static Tensor[] With(Module m, params Tensor[] inputs) => [.. inputs, .. m.Parameters()];

    private static Tensor Flat(params Tensor?[] parts)
    {
        var list = new List<Tensor>();
        foreach (var p in parts) if (p is not null) list.Add(p.Flatten());
        return Tensor.Cat(list, 0);
    }

    [Fact]
    public void Lstm_TwoLayers_Bidirectional_BatchFirst_AllOutputs()
    {
        var m = new Lstm(3, 2, numLayers: 2, batchFirst: true, bidirectional: true, generator: new Generator(1));
        var x = GradCheck.Leaf(2, 2, 3, 3); // [B, T, I]
        var h0 = GradCheck.Leaf(3, 4, 2, 2);
        var c0 = GradCheck.Leaf(4, 4, 2, 2);
        GradCheck.Check(t =>
        {
            var (y, h, c) = m.Forward(t[0], (t[1], t[2]));
            return Flat(y, h, c);
        }, With(m, x, h0, c0));
    }

    [Fact]
    public void Lstm_OnlyHn_SoTheOutputGradientIsNull()
    {
        var m = new Lstm(2, 3, numLayers: 2, generator: new Generator(5));
        var x = GradCheck.Leaf(6, 4, 2, 2);
        GradCheck.Check(t => m.Forward(t[0]).HN, With(m, x));
    }

    [Fact]
    public void Lstm_OnlyCn_Unbatched()
    {
        var m = new Lstm(2, 3, bidirectional: true, generator: new Generator(7));
        var x = GradCheck.Leaf(8, 4, 2); // (T, I)
        var c0 = GradCheck.Leaf(9, 2, 3);
        var h0 = GradCheck.Leaf(10, 2, 3);
        GradCheck.Check(t => m.Forward(t[0], (t[1], t[2])).CN, With(m, x, h0, c0));
    }

    [Fact]
    public void Gru_TwoLayers_Bidirectional_OnlyHn()
    {
        var m = new Gru(3, 2, numLayers: 2, bidirectional: true, generator: new Generator(11));
        var x = GradCheck.Leaf(12, 3, 2, 3);
        var h0 = GradCheck.Leaf(13, 4, 2, 2);
        GradCheck.Check(t => m.Forward(t[0], t[1]).HN, With(m, x, h0));
    }

    [Fact]
    public void Gru_BatchFirst_OnlyY_NoBias()
    {
        var m = new Gru(2, 3, bias: false, batchFirst: true, generator: new Generator(14));
        var x = GradCheck.Leaf(15, 2, 4, 2);
        GradCheck.Check(t => m.Forward(t[0]).Output, With(m, x));
    }

    [Fact]
    public void RnnTanh_TwoLayers_Bidirectional_OnlyY()
    {
        var m = new Rnn(3, 2, numLayers: 2, bidirectional: true, generator: new Generator(16));
        var x = GradCheck.Leaf(17, 3, 2, 3);
        var h0 = GradCheck.Leaf(18, 4, 2, 2);
        GradCheck.Check(t => m.Forward(t[0], t[1]).Output, With(m, x, h0));
    }

    [Fact]
    public void RnnRelu_BothOutputs_AwayFromTheKink()
    {
        // Positive weights and inputs keep every pre-activation well above 0, where ReLU is smooth.
        var m = new Rnn(2, 3, nonlinearity: "relu", generator: new Generator(19));
        using (Torch.NoGrad()) foreach (var p in m.Parameters()) p.CopyFrom(p.Abs() + 0.1f);
        var x = GradCheck.PositiveLeaf(20, 3, 2, 2);
        GradCheck.Check(t => { var (y, h) = m.Forward(t[0]); return Flat(y, h); }, With(m, x));
    }
}
