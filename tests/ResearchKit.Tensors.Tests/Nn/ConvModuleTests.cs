using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Tests.Parity;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>
/// F.Conv2d / F.ConvTranspose2d and the Conv2d / ConvTranspose2d modules: finite-difference gradients, PyTorch parity
/// fixtures, a naive reference, PyTorch's init and repr, and the error messages.
/// </summary>
public class ConvModuleTests
{
    // ───────────────────────────── gradient checks ─────────────────────────────

    public static TheoryData<string> ConvConfigs => new() { "plain", "stride2_pad1", "dilated_rect", "groups2", "depthwise_nobias" };

    private static (int[] X, int[] W, bool Bias, Pair Stride, Pair Padding, Pair Dilation, int Groups) ConvConfig(string name) => name switch
    {
        "plain" => ([2, 3, 5, 5], [4, 3, 3, 3], true, 1, 0, 1, 1),
        "stride2_pad1" => ([2, 3, 6, 5], [4, 3, 3, 3], true, 2, 1, 1, 1),
        "dilated_rect" => ([1, 2, 7, 6], [3, 2, 3, 2], true, (1, 2), (2, 1), 2, 1),
        "groups2" => ([2, 4, 5, 4], [6, 2, 3, 3], true, 1, 1, 1, 2),
        "depthwise_nobias" => ([2, 3, 5, 5], [3, 1, 3, 3], false, (2, 1), 1, 1, 3),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(ConvConfigs))]
    public void Conv2d_GradCheck_InputWeightBias(string config)
    {
        var (xs, ws, hasBias, s, p, d, groups) = ConvConfig(config);
        var x = GradCheck.Leaf(1, xs);
        var w = GradCheck.Leaf(2, ws);
        var b = GradCheck.Leaf(3, ws[0]);
        Tensor[] inputs = hasBias ? [x, w, b] : [x, w];
        GradCheck.Check(t => F.Conv2d(t[0], t[1], hasBias ? t[2] : null, s, p, d, groups), inputs);
    }

    [Theory]
    [MemberData(nameof(ConvConfigs))]
    public void Conv2d_MatchesNaiveReference(string config)
    {
        var (xs, ws, hasBias, s, p, d, groups) = ConvConfig(config);
        var x = GradCheck.Leaf(11, xs);
        var w = GradCheck.Leaf(12, ws);
        var b = hasBias ? GradCheck.Leaf(13, ws[0]) : null;
        var y = F.Conv2d(x, w, b, s, p, d, groups);
        var expected = NaiveConv2d(x, w, b, s, p, d, groups);
        AssertClose.Equal(expected, y, 1e-5, 1e-5, config);
    }

    [Fact]
    public void ConvTranspose2d_GradCheck_InputWeightBias()
    {
        // stride 2, padding 1, output_padding 1, groups 2, dilation 2 on a rectangular kernel.
        var x = GradCheck.Leaf(4, 2, 4, 3, 4);
        var w = GradCheck.Leaf(5, 4, 3, 3, 2);
        var b = GradCheck.Leaf(6, 6);
        GradCheck.Check(t => F.ConvTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1, outputPadding: 1, groups: 2, dilation: 2), [x, w, b]);
        GradCheck.Check(t => F.ConvTranspose2d(t[0], t[1], null, stride: (1, 2)), [x.Detach().Clone().RequiresGrad_(), w]);
    }

    [Fact]
    public void ConvTranspose2d_IsAdjointOfConv2d()
    {
        // <conv(x; W), y> == <x, convᵀ(y; W)> for the matching geometry: a check independent of the kernel tests.
        var x = GradCheck.Leaf(21, 2, 4, 7, 6).Detach();
        var w = GradCheck.Leaf(22, 6, 2, 3, 3).Detach();
        var y = F.Conv2d(x, w, null, stride: 2, padding: 1, groups: 2);
        var g = GradCheck.Leaf(23, y.Shape.ToArray()).Detach();
        // conv output 4x3 back to 7x6 needs output_padding (0, 1): (4-1)*2-2+2+op+1 = 7, (3-1)*2-2+2+op+1 = 6 → (0, 1).
        var xt = F.ConvTranspose2d(g, w, null, stride: 2, padding: 1, outputPadding: (0, 1), groups: 2);
        Assert.Equal(x.Shape, xt.Shape);
        double lhs = Dot(y, g), rhs = Dot(x, xt);
        Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * Math.Max(1, Math.Abs(lhs)), $"<conv x, g> = {lhs}, <x, convT g> = {rhs}");
    }

    // ───────────────────────────── PyTorch parity ─────────────────────────────

    [Theory]
    [InlineData("conv2d_strided_padded")]
    [InlineData("conv2d_grouped")]
    [InlineData("conv2d_dilated_nobias")]
    [InlineData("conv2d_depthwise")]
    public void Conv2d_MatchesPyTorch(string name)
    {
        var fx = Fixture.Load(name);
        Assert.Equal("zeros", fx.Config.GetProperty("padding_mode").GetString());
        var m = new Conv2d(fx.Int("in_channels"), fx.Int("out_channels"), fx.Pair("kernel_size"), fx.Pair("stride"),
            fx.Pair("padding"), fx.Pair("dilation"), fx.Int("groups"), fx.Bool("bias"));
        CheckParity(fx, m);
    }

    [Fact]
    public void ConvTranspose2d_MatchesPyTorch()
    {
        var fx = Fixture.Load("conv_transpose2d");
        var m = new ConvTranspose2d(fx.Int("in_channels"), fx.Int("out_channels"), fx.Pair("kernel_size"), fx.Pair("stride"),
            fx.Pair("padding"), fx.Pair("output_padding"), fx.Int("groups"), fx.Bool("bias"), fx.Pair("dilation"));
        CheckParity(fx, m);
        Assert.Equal([2, 3, 10, 10], fx["out.y"].Shape.ToArray());
    }

    /// <summary>Loads the fixture's parameters, runs forward/backward and compares output and every gradient.</summary>
    private static void CheckParity(Fixture fx, Module<Tensor, Tensor> m)
    {
        m.LoadStateDict(fx.Params());
        var x = fx["in.x"].RequiresGrad_();
        var y = m.Forward(x);
        fx.AssertClose("out.y", y);
        y.Backward(fx["gout.y"]);
        fx.AssertClose("grad.in.x", x.Grad!);
        int checkedParams = 0;
        foreach (var (pname, prm) in m.NamedParameters())
        {
            fx.AssertClose("grad.param." + pname, prm.Grad!);
            checkedParams++;
        }
        Assert.Equal(fx.Keys.Count(k => k.StartsWith("grad.param.", StringComparison.Ordinal)), checkedParams);
    }

    [Fact]
    public void ConvTranspose2d_OutputSize_InvertsStridedConvShape()
    {
        // A stride-2 conv maps both 7 and 8 to 4; the requested output size picks which one the transposed conv restores.
        var up = new ConvTranspose2d(2, 3, 3, stride: 2, padding: 1, generator: new Generator(9));
        var x = GradCheck.Leaf(91, 1, 2, 4, 4).Detach();
        Assert.Equal([1, 3, 7, 7], up.Forward(x).Shape.ToArray());
        var y = up.Forward(x, (8, 7));
        Assert.Equal([1, 3, 8, 7], y.Shape.ToArray());
        AssertClose.Equal(F.ConvTranspose2d(x, up.Weight, up.Bias, 2, 1, outputPadding: (1, 0)), y, 0, 0, "output_size");
        var e = Assert.Throws<ArgumentException>(() => up.Forward(x, (9, 7)));
        Assert.Contains("requested an output size of (9, 7), but valid sizes range from (7, 7) to (8, 8)", e.Message);
    }

    // ───────────────────────────── module structure ─────────────────────────────

    [Fact]
    public void StateDict_HasPyTorchKeysAndShapes()
    {
        var conv = new Conv2d(4, 6, (3, 2), groups: 2);
        Assert.Equal(["weight", "bias"], conv.StateDict().Keys.ToArray());
        Assert.Equal([6, 2, 3, 2], conv.Weight.Shape.ToArray());
        Assert.Equal([6], conv.Bias!.Shape.ToArray());

        var noBias = new Conv2d(3, 8, 5, bias: false);
        Assert.Equal(["weight"], noBias.StateDict().Keys.ToArray());
        Assert.Null(noBias.Bias);

        var convT = new ConvTranspose2d(4, 6, 3, groups: 2);
        Assert.Equal(["weight", "bias"], convT.StateDict().Keys.ToArray());
        Assert.Equal([4, 3, 3, 3], convT.Weight.Shape.ToArray());
        Assert.Equal([6], convT.Bias!.Shape.ToArray());

        var net = new Sequential(new Conv2d(1, 8, 3, padding: 1), new MaxPool2d(2), new Conv2d(8, 4, 1, bias: false));
        Assert.Equal(["0.weight", "0.bias", "2.weight"], net.StateDict().Keys.ToArray());
    }

    [Fact]
    public void ExtraRepr_MatchesPyTorch()
    {
        // Strings printed by PyTorch 1.13 for the same constructor calls.
        Assert.Equal("Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)",
            new Conv2d(3, 16, 3, padding: 1, bias: false).ToString());
        Assert.Equal("Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2)",
            new Conv2d(4, 6, 3, padding: 1, groups: 2).ToString());
        Assert.Equal("Conv2d(2, 3, kernel_size=(3, 2), stride=(1, 2), padding=(2, 1), dilation=(2, 2), bias=False)",
            new Conv2d(2, 3, (3, 2), stride: (1, 2), padding: (2, 1), dilation: 2, bias: false).ToString());
        Assert.Equal("Conv2d(1, 8, kernel_size=(5, 5), stride=(2, 2))", new Conv2d(1, 8, 5, stride: 2).ToString());
        Assert.Equal("ConvTranspose2d(4, 3, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))",
            new ConvTranspose2d(4, 3, 3, stride: 2, padding: 1, outputPadding: 1).ToString());
        Assert.Equal("ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), groups=2, bias=False)",
            new ConvTranspose2d(4, 6, 3, groups: 2, bias: false, dilation: 2).ToString());
        Assert.Equal("Sequential(\n  (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n" +
                     "  (1): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n)",
            new Sequential(new Conv2d(1, 8, 3, padding: 1), new MaxPool2d(2)).ToString());
    }

    [Theory]
    [InlineData(16, 32, 3, 1, false)] // fan_in = 16·9 = 144
    [InlineData(8, 16, 3, 4, false)]  // groups: fan_in = 2·9 = 18
    [InlineData(4, 60, 3, 2, true)]   // transposed: fan_in = weight.size(1)·9 = 30·9 = 270
    public void ResetParameters_IsPyTorchKaimingUniform(int inC, int outC, int k, int groups, bool transposed)
    {
        Module<Tensor, Tensor> m = transposed
            ? new ConvTranspose2d(inC, outC, k, groups: groups, generator: new Generator(7))
            : new Conv2d(inC, outC, k, groups: groups, generator: new Generator(7));
        var (w, b) = m is Conv2d c ? (c.Weight, c.Bias!) : (((ConvTranspose2d)m).Weight, ((ConvTranspose2d)m).Bias!);
        int fanIn = (transposed ? outC : inC) / groups * k * k;
        double bound = 1 / Math.Sqrt(fanIn);
        var wv = w.ToArray();
        Assert.All(wv, v => Assert.InRange(v, -bound, bound));
        Assert.All(b.ToArray(), v => Assert.InRange(v, -bound, bound));
        // Roughly uniform on [-bound, bound]: extremes near the bounds, mean ≈ 0, variance ≈ bound²/3.
        double mean = wv.Average(v => (double)v), var = wv.Average(v => ((double)v - mean) * ((double)v - mean));
        Assert.True(wv.Max() > 0.9 * bound && wv.Min() < -0.9 * bound, $"range [{wv.Min()}, {wv.Max()}] vs bound {bound}");
        Assert.True(Math.Abs(mean) < 0.1 * bound, $"mean {mean}");
        Assert.InRange(var / (bound * bound / 3), 0.85, 1.15);
    }

    [Fact]
    public void Generator_MakesInitReproducible_AndResetWritesInPlace()
    {
        var a = new Conv2d(3, 4, 3, generator: new Generator(42));
        var b = new Conv2d(3, 4, 3, generator: new Generator(42));
        var c = new Conv2d(3, 4, 3, generator: new Generator(43));
        Assert.Equal(a.Weight.ToArray(), b.Weight.ToArray());
        Assert.Equal(a.Bias!.ToArray(), b.Bias!.ToArray());
        Assert.NotEqual(a.Weight.ToArray(), c.Weight.ToArray());

        var weightRef = a.Weight;
        a.ResetParameters(new Generator(43));
        Assert.Same(weightRef, a.Weight);
        Assert.Equal(c.Weight.ToArray(), a.Weight.ToArray());
        Assert.True(a.Weight.RequiresGrad);
    }

    // ───────────────────────────── input forms ─────────────────────────────

    [Fact]
    public void UnbatchedInput_MatchesBatchedAndGetsGradient()
    {
        var m = new Conv2d(3, 5, 3, stride: 2, padding: 1, generator: new Generator(1));
        var x3 = GradCheck.Leaf(31, 3, 7, 6);
        var y3 = m.Forward(x3);
        Assert.Equal([5, 4, 3], y3.Shape.ToArray());
        var y4 = m.Forward(x3.Detach().Unsqueeze(0));
        AssertClose.Equal(y4.Squeeze(0), y3, 0, 0, "unbatched conv");
        y3.Sum().Backward();
        Assert.Equal([3, 7, 6], x3.Grad!.Shape.ToArray());

        var mt = new ConvTranspose2d(3, 2, 3, stride: 2, generator: new Generator(2));
        var yt = mt.Forward(GradCheck.Leaf(32, 3, 4, 4));
        Assert.Equal([2, 9, 9], yt.Shape.ToArray());
    }

    [Fact]
    public void NonContiguousInput_GivesSameResult()
    {
        var x = GradCheck.Leaf(41, 2, 5, 6, 3).Detach(); // (N, H, W, C) → permute to NCHW (a strided view)
        var nchw = x.Permute(0, 3, 1, 2);
        Assert.False(nchw.IsContiguous);
        var w = GradCheck.Leaf(42, 4, 3, 3, 3).Detach();
        AssertClose.Equal(F.Conv2d(nchw.Contiguous(), w, padding: 1), F.Conv2d(nchw, w, padding: 1), 0, 0, "strided input");
    }

    [Fact]
    public void IntAndTupleArguments_AreEquivalent()
    {
        var x = GradCheck.Leaf(51, 1, 2, 6, 6).Detach();
        var w = GradCheck.Leaf(52, 3, 2, 3, 3).Detach();
        AssertClose.Equal(F.Conv2d(x, w, null, stride: (2, 2), padding: (1, 1)), F.Conv2d(x, w, null, stride: 2, padding: 1), 0, 0, "int vs tuple");
        Assert.Equal([1, 3, 3, 3], F.Conv2d(x, w, stride: 2, padding: 1).Shape.ToArray());
        Assert.Equal([1, 3, 6, 2], F.Conv2d(x, w, stride: (1, 3), padding: 1).Shape.ToArray());
    }

    [Fact]
    public void Backward_ComputesOnlyRequestedGradients()
    {
        var m = new Conv2d(2, 3, 3, padding: 1, generator: new Generator(3));
        // Adversarial-attack pattern: frozen weights, gradient w.r.t. the input only.
        m.Weight.RequiresGrad = false;
        m.Bias!.RequiresGrad = false;
        var x = GradCheck.Leaf(61, 2, 2, 5, 5);
        m.Forward(x).Sum().Backward();
        Assert.NotNull(x.Grad);
        Assert.Null(m.Weight.Grad);
        Assert.Null(m.Bias.Grad);

        // Training pattern: input without grad, parameters with grad.
        m.Weight.RequiresGrad = true;
        m.Bias.RequiresGrad = true;
        var x2 = x.Detach();
        var y = m.Forward(x2);
        y.Sum().Backward();
        Assert.Null(x2.Grad);
        Assert.NotNull(m.Weight.Grad);
        // d sum(y) / d bias = number of output positions per channel.
        Assert.All(m.Bias.Grad!.ToArray(), v => Assert.Equal(2 * 5 * 5, v));
    }

    [Fact]
    public void NoGrad_RecordsNothing()
    {
        var m = new Conv2d(2, 3, 3);
        Tensor y;
        using (Torch.NoGrad()) y = m.Forward(GradCheck.Leaf(71, 1, 2, 4, 4));
        Assert.Null(y.GradFn);
        Assert.False(y.RequiresGrad);
    }

    // ───────────────────────────── errors ─────────────────────────────

    [Fact]
    public void ChannelMismatch_NamesBothShapesAndFix()
    {
        var m = new Conv2d(3, 16, 3);
        var e = Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(128, 1, 28, 28)));
        Assert.Contains("Conv2d: expected input with 3 channels (weight (16, 3, 3, 3)), got (128, 1, 28, 28)", e.Message);
        Assert.Contains("inChannels: 1", e.Message);

        var g = Assert.Throws<ArgumentException>(() => new Conv2d(4, 6, 3, groups: 2).Forward(Tensor.Zeros(1, 6, 5, 5)));
        Assert.Contains("expected input with 4 channels (weight (6, 2, 3, 3), groups=2), got (1, 6, 5, 5)", g.Message);

        var t = Assert.Throws<ArgumentException>(() => new ConvTranspose2d(4, 3, 3).Forward(Tensor.Zeros(1, 3, 5, 5)));
        Assert.Contains("ConvTranspose2d: expected input with 4 channels (weight (4, 3, 3, 3)), got (1, 3, 5, 5)", t.Message);
    }

    [Fact]
    public void GroupsNotDividingChannels_Throws()
    {
        var a = Assert.Throws<ArgumentException>(() => new Conv2d(3, 16, 3, groups: 2));
        Assert.Contains("in_channels (3) must be divisible by groups (2)", a.Message);
        var b = Assert.Throws<ArgumentException>(() => new Conv2d(4, 6, 3, groups: 4));
        Assert.Contains("out_channels (6) must be divisible by groups (4)", b.Message);
        var c = Assert.Throws<ArgumentException>(() => new ConvTranspose2d(4, 6, 3, groups: 4));
        Assert.Contains("ConvTranspose2d: out_channels (6) must be divisible by groups (4)", c.Message);
        var f = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 4, 5, 5), Tensor.Zeros(6, 1, 3, 3), groups: 4));
        Assert.Contains("out_channels (6, from weight (6, 1, 3, 3)) must be divisible by groups (4)", f.Message);
        Assert.Throws<ArgumentException>(() => new Conv2d(4, 4, 3, groups: 0));
    }

    [Fact]
    public void KernelLargerThanPaddedInput_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new Conv2d(1, 2, 5, padding: 0).Forward(Tensor.Zeros(2, 1, 3, 4)));
        Assert.StartsWith("Conv2d: dilated kernel size (5x5) is larger than the padded input (3x4)", e.Message);
        Assert.Contains("input (2, 1, 3, 4), weight (2, 1, 5, 5)", e.Message);
        Assert.Contains("more padding", e.Message);

        var d = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 4, 4), Tensor.Zeros(1, 1, 3, 3), dilation: 2));
        Assert.Contains("dilated kernel size (5x5)", d.Message);

        var t = Assert.Throws<ArgumentException>(() => F.ConvTranspose2d(Tensor.Zeros(1, 1, 1, 1), Tensor.Zeros(1, 1, 1, 1), padding: 1));
        Assert.StartsWith("ConvTranspose2d: computed output size", t.Message);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var m = new Conv2d(1, 2, 3);
        var rank = Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(64, 784)));
        Assert.Contains("expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape (64, 784)", rank.Message);
        Assert.Contains("Reshape", rank.Message);
        Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(1, 1, 1, 5, 5)));
        var wr = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 5, 5), Tensor.Zeros(2, 9)));
        Assert.Contains("expected a 4-D weight", wr.Message);
        var br = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 5, 5), Tensor.Zeros(2, 1, 3, 3), Tensor.Zeros(3)));
        Assert.Contains("expected a bias of shape (2)", br.Message);
        var i64 = Assert.Throws<ArgumentException>(() => m.Forward(Tensor.ZerosInt64(1, 1, 5, 5)));
        Assert.Contains("Float32", i64.Message);

        Assert.Throws<NotSupportedException>(() => new Conv2d(1, 2, 3, paddingMode: "reflect"));
        Assert.Throws<NotSupportedException>(() => new ConvTranspose2d(1, 2, 3, paddingMode: "circular"));
        var pm = Assert.Throws<ArgumentException>(() => new Conv2d(1, 2, 3, paddingMode: "same"));
        Assert.Contains("padding_mode must be one of", pm.Message);
        Assert.Throws<ArgumentException>(() => new Conv2d(0, 2, 3));
        Assert.Throws<ArgumentException>(() => new Conv2d(1, 2, 0));
        Assert.Throws<ArgumentException>(() => new Conv2d(1, 2, 3, stride: (1, 0)));
        Assert.Throws<ArgumentException>(() => new Conv2d(1, 2, 3, padding: -1));
        var op = Assert.Throws<ArgumentException>(() => new ConvTranspose2d(1, 2, 3, stride: 2, outputPadding: 2));
        Assert.Contains("output_padding (2, 2) must be smaller than either stride (2, 2) or dilation (1, 1)", op.Message);
    }

    [Fact]
    public void CreateGraph_ThroughConv_IsRejected()
    {
        var x = GradCheck.Leaf(81, 1, 1, 4, 4);
        var w = GradCheck.Leaf(82, 1, 1, 3, 3);
        var y = F.Conv2d(x, w).Square().Sum();
        var e = Assert.Throws<NotSupportedException>(() => y.Backward(createGraph: true));
        Assert.Contains("Conv2d", e.Message);
        Assert.Contains("createGraph", e.Message);
    }

    // ───────────────────────────── helpers ─────────────────────────────

    private static double Dot(Tensor a, Tensor b)
    {
        var x = a.ToArray();
        var y = b.ToArray();
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += (double)x[i] * y[i];
        return s;
    }

    /// <summary>Direct-summation conv2d (zero padding, groups, dilation) in double.</summary>
    private static Tensor NaiveConv2d(Tensor x, Tensor w, Tensor? b, Pair s, Pair p, Pair d, int groups)
    {
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), wd = x.Size(3);
        int oc = w.Size(0), gc = w.Size(1), kh = w.Size(2), kw = w.Size(3);
        int oh = (h + 2 * p.H - d.H * (kh - 1) - 1) / s.H + 1, ow = (wd + 2 * p.W - d.W * (kw - 1) - 1) / s.W + 1;
        var xv = x.ToArray();
        var wv = w.ToArray();
        var bv = b?.ToArray();
        var y = new float[n * oc * oh * ow];
        int ocPerGroup = oc / groups;
        for (int ni = 0; ni < n; ni++)
            for (int o = 0; o < oc; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double acc = bv?[o] ?? 0;
                        int grp = o / ocPerGroup;
                        for (int ci = 0; ci < gc; ci++)
                            for (int u = 0; u < kh; u++)
                                for (int v = 0; v < kw; v++)
                                {
                                    int ih = i * s.H - p.H + u * d.H, iw = j * s.W - p.W + v * d.W;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    int cin = grp * gc + ci;
                                    acc += (double)xv[((ni * c + cin) * h + ih) * wd + iw] * wv[((o * gc + ci) * kh + u) * kw + v];
                                }
                        y[((ni * oc + o) * oh + i) * ow + j] = (float)acc;
                    }
        return Tensor.FromArray(y, n, oc, oh, ow);
    }
}
