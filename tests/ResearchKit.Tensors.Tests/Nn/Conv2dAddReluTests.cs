using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>
/// The convolution whose epilogue adds a residual and applies ReLU (inference fusion): bit for bit the separate conv, add and
/// ReLU on every kernel path and odd shapes; the separate ops themselves whenever a gradient is needed; and the fusion of
/// conv + batch norm + ReLU modules.
/// </summary>
public class Conv2dAddReluTests
{
    private static int[] Bits(Tensor t) => t.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes() => new()
    {
        // n, c, h, w, outC, k, stride, dilation, groups: 3×3 stride 1 takes the implicit-GEMM epilogue; the rest the im2col path
        // and the pass after it.
        { 1, 1, 1, 1, 1, 3, 1, 1, 1 },
        { 3, 3, 17, 5, 17, 3, 1, 1, 1 },
        { 2, 16, 8, 8, 16, 3, 1, 1, 1 },
        { 1, 17, 9, 13, 129, 3, 1, 1, 1 },
        { 3, 4, 7, 6, 6, 3, 2, 1, 2 },
        { 2, 5, 11, 3, 3, 3, 1, 2, 1 },
        { 2, 6, 5, 5, 4, 1, 1, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_fused_output_is_the_separate_ops_bit_for_bit(int n, int c, int h, int w, int outC, int k, int stride, int dil, int groups)
    {
        var g = new Generator(n * 1000 + c * 10 + outC);
        var x = Tensor.Randn([n, c, h, w], g);
        var weight = Tensor.Randn([outC, c / groups, k, k], g) * 0.3f;
        var bias = Tensor.Randn([outC], g);
        int pad = k / 2 * dil;
        var plain = F.Conv2d(x, weight, bias, stride, pad, dil, groups);
        var residual = Tensor.Randn(plain.Shape.ToArray(), g);
        foreach (bool withBias in new[] { false, true })
            foreach (bool withResidual in new[] { false, true })
                foreach (bool relu in new[] { false, true })
                {
                    var b = withBias ? bias : null;
                    var r = withResidual ? residual : null;
                    var expected = F.Conv2d(x, weight, b, stride, pad, dil, groups);
                    if (r is not null) expected = expected + r;
                    if (relu) expected = expected.Relu();
                    var fused = F.Conv2dAddRelu(x, weight, b, r, relu, stride, pad, dil, groups);
                    Assert.Equal(Bits(expected), Bits(fused));

                    // The kernel's other path (im2col, then one pass) gives the same bits too.
                    var geo = new Conv2dGeometry(n, c, h, w, outC, k, k, stride, stride, pad, pad, dil, dil, groups);
                    var y = new float[geo.OutputLength];
                    Conv2dKernel.ForwardFused(geo, x.ToArray(), weight.ToArray(), b?.ToArray() ?? [], r?.ToArray() ?? [], relu, y, allowImplicit: false);
                    Assert.Equal(Bits(expected), y.Select(BitConverter.SingleToInt32Bits).ToArray());
                }
    }

    [Fact]
    public void A_residual_held_in_the_output_is_added_on_every_path()
    {
        // ForwardFused allows the output to be its own residual (a block updated in place); the im2col path writes the
        // convolution first, so it must keep the residual aside.
        var g = new Generator(19);
        var x = Tensor.Randn([2, 3, 5, 5], g);
        var weight = Tensor.Randn([3, 3, 3, 3], g);
        var residual = Tensor.Randn([2, 3, 5, 5], g).ToArray();
        var expected = Bits((F.Conv2d(x, weight, null, 1, 1) + Tensor.FromArray(residual, 2, 3, 5, 5)).Relu());
        var geo = new Conv2dGeometry(2, 3, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        foreach (bool implicitPath in new[] { true, false })
        {
            var y = (float[])residual.Clone();
            Conv2dKernel.ForwardFused(geo, x.ToArray(), weight.ToArray(), [], y, relu: true, y, allowImplicit: implicitPath);
            Assert.Equal(expected, y.Select(BitConverter.SingleToInt32Bits).ToArray());
        }
    }

    [Fact]
    public void The_epilogue_really_runs_the_add_and_the_relu()
    {
        // Guards the test above against an epilogue that does nothing on both sides: the output is not the plain convolution.
        var g = new Generator(3);
        var x = Tensor.Randn([2, 8, 9, 9], g);
        var weight = Tensor.Randn([8, 8, 3, 3], g);
        var residual = Tensor.Randn([2, 8, 9, 9], g) * 5f;
        var plain = F.Conv2d(x, weight, null, 1, 1).ToArray();
        var fused = F.Conv2dAddRelu(x, weight, null, residual, relu: true, padding: 1).ToArray();
        var r = residual.ToArray();
        for (int i = 0; i < plain.Length; i++) Assert.Equal(MathF.Max(plain[i] + r[i], 0f), fused[i]);
        Assert.Contains(fused, v => v == 0f);
    }

    [Fact]
    public void Under_a_graph_it_is_the_separate_ops_with_their_gradients()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([2, 3, 6, 6], g).RequiresGrad_();
        var weight = Tensor.Randn([4, 3, 3, 3], g).RequiresGrad_();
        var residual = Tensor.Randn([2, 4, 6, 6], g).RequiresGrad_();
        var y = F.Conv2dAddRelu(x, weight, null, residual, relu: true, padding: 1);
        Assert.True(y.RequiresGrad);
        y.Sum().Backward();
        var (gx, gw, gr) = (x.Grad!.ToArray(), weight.Grad!.ToArray(), residual.Grad!.ToArray());

        var x2 = x.Detach().RequiresGrad_(); var w2 = weight.Detach().RequiresGrad_(); var r2 = residual.Detach().RequiresGrad_();
        (F.Conv2d(x2, w2, null, 1, 1) + r2).Relu().Sum().Backward();
        Assert.Equal(x2.Grad!.ToArray(), gx);
        Assert.Equal(w2.Grad!.ToArray(), gw);
        Assert.Equal(r2.Grad!.ToArray(), gr);

        using (Torch.NoGrad())
            Assert.Equal(Bits(y.Detach()), Bits(F.Conv2dAddRelu(x, weight, null, residual, relu: true, padding: 1)));
    }

    [Fact]
    public void A_broadcast_residual_and_an_unbatched_input_take_the_separate_ops()
    {
        var g = new Generator(7);
        var x = Tensor.Randn([3, 5, 5], g);
        var weight = Tensor.Randn([2, 3, 3, 3], g);
        var perChannel = Tensor.Randn([2, 1, 1], g);
        var expected = (F.Conv2d(x, weight, null, 1, 1) + perChannel).Relu();
        Assert.Equal(Bits(expected), Bits(F.Conv2dAddRelu(x, weight, null, perChannel, padding: 1)));
    }

    [Fact]
    public void Bad_shapes_get_the_convolutions_own_errors()
    {
        var x = Tensor.Zeros([1, 3, 5, 5]);
        var e = Assert.Throws<ArgumentException>(() => F.Conv2dAddRelu(x, Tensor.Zeros([2, 4, 3, 3])));
        Assert.Contains("expected input with 4 channels", e.Message);
        Assert.Throws<ArgumentException>(() => F.Conv2dAddRelu(x, Tensor.Zeros([2, 3, 3, 3]), residual: Tensor.Zeros([1, 5, 3, 3])));
    }

    private static BatchNorm2d TrainedBn(int c, Generator g)
    {
        var bn = new BatchNorm2d(c);
        using (Torch.NoGrad())
        {
            bn.RunningMean!.CopyFrom(Tensor.Randn([c], g));
            bn.RunningVar!.CopyFrom(Tensor.Rand([c], g) * 2f + 0.1f);
            bn.Weight!.CopyFrom(Tensor.Randn([c], g));
            bn.Bias!.CopyFrom(Tensor.Randn([c], g));
        }
        return bn;
    }

    [Fact]
    public void Fusing_conv_bn_relu_computes_the_folded_model_bit_for_bit_and_keeps_the_parameter_names()
    {
        var g = new Generator(11);
        var model = new Sequential(new Conv2d(3, 8, 3, padding: 1, bias: false, generator: g), TrainedBn(8, g), new ReLU(),
            new Conv2d(8, 4, 3, stride: 2, padding: 1, generator: g), TrainedBn(4, g), new ReLU());
        model.Eval();
        var folded = new Sequential(new Conv2d(3, 8, 3, padding: 1, bias: false), new BatchNorm2d(8), new ReLU(),
            new Conv2d(8, 4, 3, stride: 2, padding: 1), new BatchNorm2d(4), new ReLU());
        folded.LoadStateDict(model.StateDict());
        folded.Eval();
        Fusion.FoldBatchNorms(folded, [("0", "1"), ("3", "4")]);
        var x = Tensor.Randn([2, 3, 10, 10], g);
        Tensor before;
        using (Torch.NoGrad()) before = model.Forward(x);

        Assert.Equal(2, Fusion.FuseConvBnRelu(model, [new ConvFusion("0", "1", "2"), new ConvFusion("3", "4", "5")]));
        var fused0 = Assert.IsType<FusedConv2d>(model.GetSubmodule("0"));
        Assert.True(fused0.Relu);
        Assert.False(fused0.TakesResidual);
        Assert.IsType<Identity>(model.GetSubmodule("1"));
        Assert.IsType<Identity>(model.GetSubmodule("2"));
        Assert.Equal(new[] { "0.bias", "0.weight", "3.bias", "3.weight" }, model.StateDict().Keys.Order(StringComparer.Ordinal));
        using (Torch.NoGrad())
        {
            var after = model.Forward(x);
            Assert.Equal(Bits(folded.Forward(x)), Bits(after));
            // Folding rounds differently from conv-then-batch-norm: close, not equal.
            var (a, b) = (before.ToArray(), after.ToArray());
            float scale = a.Max(MathF.Abs);
            for (int i = 0; i < a.Length; i++) Assert.True(MathF.Abs(a[i] - b[i]) <= 1e-5f * scale, $"element {i}: {a[i]} vs {b[i]}");
        }
    }

    [Fact]
    public void Fusion_refuses_training_mode_wrong_modules_and_repeats_before_changing_anything()
    {
        var g = new Generator(13);
        Sequential Model() => new(new Conv2d(2, 2, 3, padding: 1, generator: g), TrainedBn(2, g), new ReLU(), new Tanh());
        var training = Model();
        Assert.Contains("training mode", Assert.Throws<InvalidOperationException>(() => Fusion.FuseConvBnRelu(training, [new ConvFusion("0", "1", "2")])).Message);

        var m = Model();
        m.Eval();
        Assert.Contains("not a ReLU", Assert.Throws<ArgumentException>(() => Fusion.FuseConvBnRelu(m, [new ConvFusion("0", "1", "3")])).Message);
        Assert.Contains("not a BatchNorm2d", Assert.Throws<ArgumentException>(() => Fusion.FuseConvBnRelu(m, [new ConvFusion("0", "2")])).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => Fusion.FuseConvBnRelu(m, [new ConvFusion("0", "1", "2"), new ConvFusion("0")])).Message);
        Assert.IsType<Conv2d>(m.GetSubmodule("0"));
        Assert.IsType<BatchNorm2d>(m.GetSubmodule("1"));
    }

    [Fact]
    public void A_residual_convolution_must_be_given_its_residual_and_a_plain_one_refuses_one()
    {
        var g = new Generator(17);
        var conv = new Conv2d(2, 2, 3, padding: 1, generator: g);
        conv.Eval();
        var x = Tensor.Randn([1, 2, 4, 4], g);
        var withResidual = new FusedConv2d(conv, relu: true, takesResidual: true);
        Assert.Contains("Forward(input, residual)", Assert.Throws<InvalidOperationException>(() => withResidual.Forward(x)).Message);
        var r = Tensor.Randn([1, 2, 4, 4], g);
        using (Torch.NoGrad()) Assert.Equal(Bits((conv.Forward(x) + r).Relu()), Bits(withResidual.Forward(x, r)));
        var plain = new FusedConv2d(conv, relu: false, takesResidual: false);
        Assert.Throws<InvalidOperationException>(() => plain.Forward(x, r));
        Assert.Throws<NotSupportedException>(() => new FusedConv2d(withResidual, relu: true, takesResidual: false));
    }
}
