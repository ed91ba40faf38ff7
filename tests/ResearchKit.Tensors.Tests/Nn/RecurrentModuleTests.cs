using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Tests.Parity;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

public class RecurrentModuleTests
{
    // ───────────────────────────── PyTorch parity ─────────────────────────────

    private static void AssertParamGrads(Fixture fx, Module m)
    {
        int n = 0;
        foreach (var (name, p) in m.NamedParameters())
        {
            Assert.NotNull(p.Grad);
            fx.AssertClose("grad.param." + name, p.Grad!);
            n++;
        }
        Assert.Equal(fx.Params().Count, n);
    }

    [Fact]
    public void Lstm2Layer_MatchesPyTorch_OutputsAndAllGradients()
    {
        var fx = Fixture.Load("lstm_2layer");
        var m = new Lstm(fx.Int("input_size"), fx.Int("hidden_size"), fx.Int("num_layers"));
        m.LoadStateDict(fx.Params());
        var x = fx["in.x"].RequiresGrad_();
        var h0 = fx["in.h0"].RequiresGrad_();
        var c0 = fx["in.c0"].RequiresGrad_();
        var (y, hn, cn) = m.Forward(x, (h0, c0));
        fx.AssertClose("out.y", y);
        fx.AssertClose("out.h_n", hn);
        fx.AssertClose("out.c_n", cn);

        var total = (y * fx["gout.y"]).Sum() + (hn * fx["gout.h_n"]).Sum() + (cn * fx["gout.c_n"]).Sum();
        total.Backward();
        fx.AssertClose("grad.in.x", x.Grad!);
        fx.AssertClose("grad.in.h0", h0.Grad!);
        fx.AssertClose("grad.in.c0", c0.Grad!);
        AssertParamGrads(fx, m);
    }

    [Fact]
    public void LstmBatchFirst_MatchesPyTorch()
    {
        var fx = Fixture.Load("lstm_batch_first");
        Assert.True(fx.Bool("batch_first"));
        var m = new Lstm(fx.Int("input_size"), fx.Int("hidden_size"), batchFirst: true);
        m.LoadStateDict(fx.Params());
        var x = fx["in.x"].RequiresGrad_();
        var (y, hn, cn) = m.Forward(x);
        fx.AssertClose("out.y", y);
        fx.AssertClose("out.h_n", hn);
        fx.AssertClose("out.c_n", cn);
        // Seed each output with its upstream gradient through Autograd.Grad (no .Grad side effects), then Backward.
        var gx = Autograd.Grad([y, hn, cn], [x], [fx["gout.y"], fx["gout.h_n"], fx["gout.c_n"]], retainGraph: true)[0];
        fx.AssertClose("grad.in.x", gx);
        var total = (y * fx["gout.y"]).Sum() + (hn * fx["gout.h_n"]).Sum() + (cn * fx["gout.c_n"]).Sum();
        total.Backward();
        fx.AssertClose("grad.in.x", x.Grad!);
        AssertParamGrads(fx, m);
    }

    [Fact]
    public void Gru2Layer_MatchesPyTorch()
    {
        var fx = Fixture.Load("gru");
        var m = new Gru(fx.Int("input_size"), fx.Int("hidden_size"), fx.Int("num_layers"));
        m.LoadStateDict(fx.Params());
        var x = fx["in.x"].RequiresGrad_();
        var h0 = fx["in.h0"].RequiresGrad_();
        var (y, hn) = m.Forward(x, h0);
        fx.AssertClose("out.y", y);
        fx.AssertClose("out.h_n", hn);
        ((y * fx["gout.y"]).Sum() + (hn * fx["gout.h_n"]).Sum()).Backward();
        fx.AssertClose("grad.in.x", x.Grad!);
        fx.AssertClose("grad.in.h0", h0.Grad!);
        AssertParamGrads(fx, m);
    }

    [Fact]
    public void RnnTanh_MatchesPyTorch()
    {
        var fx = Fixture.Load("rnn_tanh");
        var m = new Rnn(fx.Int("input_size"), fx.Int("hidden_size"), nonlinearity: fx.Config.GetProperty("nonlinearity").GetString()!);
        m.LoadStateDict(fx.Params());
        var x = fx["in.x"].RequiresGrad_();
        var h0 = fx["in.h0"].RequiresGrad_();
        var (y, hn) = m.Forward(x, h0);
        fx.AssertClose("out.y", y);
        fx.AssertClose("out.h_n", hn);
        ((y * fx["gout.y"]).Sum() + (hn * fx["gout.h_n"]).Sum()).Backward();
        fx.AssertClose("grad.in.x", x.Grad!);
        fx.AssertClose("grad.in.h0", h0.Grad!);
        AssertParamGrads(fx, m);
    }

    // ───────────────────────────── layout variants ─────────────────────────────

    [Fact]
    public void UnbatchedInput_EqualsBatchOfOne()
    {
        var m = new Lstm(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(5));
        var x = Tensor.Randn([6, 3], new Generator(6));
        var h0 = Tensor.Randn([4, 4], new Generator(7));
        var c0 = Tensor.Randn([4, 4], new Generator(8));
        var (y, hn, cn) = m.Forward(x, (h0, c0));
        var (yb, hb, cb) = m.Forward(x.Unsqueeze(1), (h0.Unsqueeze(1), c0.Unsqueeze(1)));
        Assert.Equal(new Shape(6, 8), y.Shape);
        Assert.Equal(new Shape(4, 4), hn.Shape);
        Assert.Equal(yb.Squeeze(1).ToArray(), y.ToArray());
        Assert.Equal(hb.Squeeze(1).ToArray(), hn.ToArray());
        Assert.Equal(cb.Squeeze(1).ToArray(), cn.ToArray());
    }

    [Fact]
    public void BatchFirst_EqualsTimeMajorOnTransposedInput()
    {
        var a = new Gru(3, 4, numLayers: 2, bidirectional: true, batchFirst: true, generator: new Generator(9));
        var b = new Gru(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(9));
        var x = Tensor.Randn([2, 5, 3], new Generator(10)); // [B, T, I]
        var (ya, ha) = a.Forward(x);
        var (yb, hb) = b.Forward(x.Transpose(0, 1).Contiguous());
        Assert.Equal(new Shape(2, 5, 8), ya.Shape);
        Assert.Equal(yb.Transpose(0, 1).ToArray(), ya.ToArray());
        Assert.Equal(hb.ToArray(), ha.ToArray());
    }

    // ───────────────────────────── parameters ─────────────────────────────

    [Fact]
    public void StateDictKeys_AreInPyTorchOrder_WithPyTorchShapes()
    {
        var m = new Lstm(3, 4, numLayers: 2, bidirectional: true);
        string[] expected =
        [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        ];
        var sd = m.StateDict();
        Assert.Equal(expected, sd.Keys.ToArray());
        Assert.Equal(new Shape(16, 3), sd["weight_ih_l0"].Shape);
        Assert.Equal(new Shape(16, 4), sd["weight_hh_l0_reverse"].Shape);
        Assert.Equal(new Shape(16, 8), sd["weight_ih_l1"].Shape); // layer 1 reads both directions
        Assert.Equal(new Shape(16), sd["bias_hh_l1_reverse"].Shape);
        Assert.Same(sd["weight_ih_l1_reverse"], m.AllWeights[3][0]);

        Assert.Equal(new[] { "weight_ih_l0", "weight_hh_l0" }, new Gru(3, 4, bias: false).StateDict().Keys.ToArray());
        Assert.Equal(new[] { "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0" }, new Rnn(3, 4).StateDict().Keys.ToArray());
        Assert.Equal(new Shape(12, 3), new Gru(3, 4).StateDict()["weight_ih_l0"].Shape);
        Assert.Equal(new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }, new LstmCell(3, 4).StateDict().Keys.ToArray());
        Assert.Equal(new[] { "weight_ih", "weight_hh" }, new RnnCell(3, 4, bias: false).StateDict().Keys.ToArray());
    }

    [Fact]
    public void Init_IsUniformWithinOneOverSqrtHidden_AndReproducibleFromGenerator()
    {
        var a = new Lstm(2, 16, numLayers: 2, generator: new Generator(3));
        var b = new Lstm(2, 16, numLayers: 2, generator: new Generator(3));
        float bound = 1f / MathF.Sqrt(16);
        double sumSq = 0;
        int count = 0;
        foreach (var ((name, p), (_, q)) in a.NamedParameters().Zip(b.NamedParameters()))
        {
            Assert.Equal(p.ToArray(), q.ToArray());
            foreach (float v in p.ToArray())
            {
                Assert.InRange(v, -bound, bound);
                sumSq += v * v;
                count++;
            }
        }
        // Variance of U(-b, b) is b²/3; all parameters (biases too) are drawn, none stay zero.
        Assert.InRange(sumSq / count, 0.8 * bound * bound / 3, 1.2 * bound * bound / 3);
        var cell = new GruCell(2, 16, generator: new Generator(4));
        Assert.All(cell.BiasHh!.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.Contains(cell.BiasHh!.ToArray(), v => v != 0);
    }

    [Fact]
    public void ToString_PrintsLikePyTorch()
    {
        Assert.Equal("Lstm(1, 128)", new Lstm(1, 128).ToString());
        Assert.Equal("Lstm(1, 128, num_layers=2, batch_first=True)", new Lstm(1, 128, numLayers: 2, batchFirst: true).ToString());
        Assert.Equal("Rnn(4, 5, num_layers=2, bias=False, batch_first=True, dropout=0.25, bidirectional=True)",
            new Rnn(4, 5, numLayers: 2, nonlinearity: "relu", bias: false, batchFirst: true, dropout: 0.25, bidirectional: true).ToString());
        Assert.Equal("Gru(1, 128, num_layers=2, dropout=1.0)", new Gru(1, 128, numLayers: 2, dropout: 1).ToString());
        Assert.Equal("RnnCell(3, 4, bias=False, nonlinearity=relu)", new RnnCell(3, 4, bias: false, nonlinearity: "relu").ToString());
        Assert.Equal("LstmCell(3, 4)", new LstmCell(3, 4).ToString());
        Assert.Equal("GruCell(3, 4, bias=False)", new GruCell(3, 4, bias: false).ToString());
    }

    // ───────────────────────────── dropout ─────────────────────────────

    [Fact]
    public void Dropout_ChangesTrainingOutputs_EvalIsDeterministic_AndLastLayerHasNone()
    {
        var m = new Lstm(3, 6, numLayers: 2, dropout: 0.5, generator: new Generator(11));
        var plain = new Lstm(3, 6, numLayers: 2, generator: new Generator(12));
        plain.LoadStateDict(m.StateDict());
        var x = Tensor.Randn([5, 2, 3], new Generator(13));

        var train1 = m.Forward(x).Output.ToArray();
        var train2 = m.Forward(x).Output.ToArray();
        var reference = plain.Forward(x).Output.ToArray();
        Assert.NotEqual(train1, train2);      // a fresh mask each call
        Assert.NotEqual(reference, train1);  // the mask reaches layer 2

        m.Eval();
        Assert.Equal(reference, m.Forward(x).Output.ToArray());
        Assert.Equal(reference, m.Forward(x).Output.ToArray());

        // Same generator seed → same masks (reproducible training).
        var m2 = new Lstm(3, 6, numLayers: 2, dropout: 0.5, generator: new Generator(11));
        Assert.Equal(train1, m2.Forward(x).Output.ToArray());

        // A single layer has no "between layers": dropout never applies, as in PyTorch.
        var single = new Gru(3, 6, dropout: 0.5, generator: new Generator(14));
        Assert.Equal(single.Forward(x).Output.ToArray(), single.Forward(x).Output.ToArray());

        // Dropout gradients flow through the same mask: y depends on x only through kept units.
        var p1 = new Rnn(3, 6, numLayers: 2, dropout: 1.0, generator: new Generator(15));
        var xr = x.Clone().RequiresGrad_();
        p1.Forward(xr).Output.Sum().Backward();
        Assert.All(xr.Grad!.ToArray(), v => Assert.Equal(0f, v)); // everything dropped before layer 2
    }

    // ───────────────────────────── errors ─────────────────────────────

    [Fact]
    public void Errors_NameTheProblem()
    {
        var m = new Lstm(5, 6, numLayers: 2);
        var ex = Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(4, 3, 3)));
        Assert.Contains("input_size=5", ex.Message);
        Assert.Contains("(4, 3, 3)", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(1, 4, 3, 5)));
        Assert.Contains("4-D", ex.Message);
        Assert.Contains("(1, 4, 3, 5)", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(4, 3, 5), (Tensor.Zeros(2, 4, 6), Tensor.Zeros(2, 3, 6))));
        Assert.Contains("h0", ex.Message);
        Assert.Contains("(2, 3, 6)", ex.Message);
        Assert.Contains("(2, 4, 6)", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(4, 3, 5), (Tensor.Zeros(2, 3, 6), Tensor.Zeros(1, 3, 6))));
        Assert.Contains("c0", ex.Message);
        Assert.Contains("(1, 3, 6)", ex.Message);

        // Unbatched input needs 2-D states.
        ex = Assert.Throws<ArgumentException>(() => new Gru(5, 6).Forward(Tensor.Zeros(4, 5), Tensor.Zeros(1, 1, 6)));
        Assert.Contains("(1, 6)", ex.Message);
        Assert.Contains("unbatched", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => new Rnn(5, 6).Forward(Tensor.Zeros(0, 2, 5)));
        Assert.Contains("empty", ex.Message);
        Assert.Throws<ArgumentException>(() => new Rnn(5, 6).Forward(Tensor.ZerosInt64(4, 2, 5)));

        Assert.Throws<ArgumentOutOfRangeException>(() => new Lstm(5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Lstm(0, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Gru(5, 6, numLayers: 0));
        var dex = Assert.Throws<ArgumentOutOfRangeException>(() => new Gru(5, 6, dropout: 1.5));
        Assert.Contains("dropout", dex.Message);
        var nex = Assert.Throws<ArgumentException>(() => new Rnn(5, 6, nonlinearity: "sigmoid"));
        Assert.Contains("sigmoid", nex.Message);
        Assert.Throws<ArgumentException>(() => new RnnCell(5, 6, nonlinearity: "gelu"));

        var cell = new LstmCell(5, 6);
        ex = Assert.Throws<ArgumentException>(() => cell.Forward(Tensor.Zeros(3, 4)));
        Assert.Contains("input_size=5", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => cell.Forward(Tensor.Zeros(3, 5), (Tensor.Zeros(3, 6), Tensor.Zeros(2, 6))));
        Assert.Contains("(3, 6)", ex.Message);
        Assert.Contains("(2, 6)", ex.Message);
        Assert.Throws<ArgumentException>(() => new GruCell(5, 6).Forward(Tensor.Zeros(2, 3, 5)));
    }

    [Fact]
    public void DoubleBackward_ThroughFusedKernel_IsRejectedClearly()
    {
        var m = new Gru(2, 3, generator: new Generator(1));
        var x = Tensor.Randn([3, 2, 2], new Generator(2)).RequiresGrad_();
        var y = m.Forward(x).Output.Sum();
        var ex = Assert.Throws<NotSupportedException>(() => Autograd.Grad(y, x, createGraph: true));
        Assert.Contains("GruCell", ex.Message);
    }
}
