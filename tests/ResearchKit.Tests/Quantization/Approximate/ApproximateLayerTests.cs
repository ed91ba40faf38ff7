using ResearchKit.Models;
using ResearchKit.Quantization.Approximate;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tests.Quantization.Approximate;

/// <summary>
/// The integer layers against (a) the float layer, within a quantization-error bound computed here, and (b) an independent
/// int8 computation written here with plain loops and <see cref="IApproximateMultiplier.Multiply"/> (no table, no im2col).
/// </summary>
public class ApproximateLayerTests
{
    private const int B = 8;

    // Reference quantization, written independently of ApproximateQuantization: scale = max |v| / qmax, round half to even.
    private static (int[] Codes, double[] Scales) RefWeights(float[] w, int rows, int per)
    {
        var codes = new int[w.Length];
        var scales = new double[rows];
        for (int o = 0; o < rows; o++)
        {
            double max = 0;
            for (int i = 0; i < per; i++) max = Math.Max(max, Math.Abs((double)w[o * per + i]));
            scales[o] = max == 0 ? 1 : max / 127;
            for (int i = 0; i < per; i++) codes[o * per + i] = (int)Math.Clamp(Math.Round(w[o * per + i] / scales[o], MidpointRounding.ToEven), -127, 127);
        }
        return (codes, scales);
    }

    private static (int[] Codes, double Scale) RefInput(float[] x, bool unsigned)
    {
        double max = x.Max(v => Math.Abs((double)v));
        int qmax = unsigned ? 255 : 127;
        double s = max == 0 ? 1 : max / qmax;
        return (x.Select(v => (int)Math.Clamp(Math.Round(v / s, MidpointRounding.ToEven), unsigned ? 0 : -127, qmax)).ToArray(), s);
    }

    private static float[] Data(Tensor t) { using (Torch.NoGrad()) return t.Contiguous().ToArray(); }

    public static TheoryData<string, bool> Cases => new()
    {
        { "exact", false }, { "exact", true }, { "drum4", false }, { "mitchell", true }, { "trunc6c", true },
    };

    private static IApproximateMultiplier Make(string name) => name switch
    {
        "exact" => new ExactMultiplier(B),
        "drum4" => new DrumMultiplier(4, B),
        "mitchell" => new MitchellMultiplier(B),
        _ => new TruncatedMultiplier(6, true, B),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Linear_EqualsTheIndependentIntegerComputation(string mult, bool postRelu)
    {
        var gen = new Generator(3);
        var lin = new Linear(37, 11, generator: gen);
        var x = Tensor.Randn([5, 37], gen);
        if (postRelu) x = x.Abs();
        var m = Make(mult);
        var layer = new ApproximateLinear(lin, new ProductTable(m), postRelu ? ApproximateInputMode.Unsigned : ApproximateInputMode.Symmetric);
        var y = Data(layer.Forward(x));

        var (wq, sw) = RefWeights(Data(lin.Weight), 11, 37);
        var (xq, sx) = RefInput(Data(x), postRelu);
        var bias = Data(lin.Bias!);
        for (int r = 0; r < 5; r++)
            for (int o = 0; o < 11; o++)
            {
                long acc = 0;
                for (int i = 0; i < 37; i++) acc += m.Multiply(xq[r * 37 + i], wq[o * 37 + i]);
                Assert.Equal((float)(sx * sw[o] * acc + bias[o]), y[r * 11 + o]);
            }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Linear_WithTheExactMultiplier_IsWithinTheInt8ErrorOfTheFloatLayer(bool postRelu)
    {
        var gen = new Generator(4);
        var lin = new Linear(64, 9, generator: gen);
        var x = Tensor.Randn([2, 3, 64], gen);   // leading dims are kept
        if (postRelu) x = x.Relu();
        var layer = new ApproximateLinear(lin, new ProductTable(new ExactMultiplier(B)));   // Auto picks unsigned after ReLU
        var yq = layer.Forward(x);
        Assert.Equal([2, 3, 9], yq.Shape.ToArray());
        var yf = Data(lin.Forward(x));
        var q = Data(yq);
        float[] xs = Data(x), w = Data(lin.Weight), b = Data(lin.Bias!);
        double sx = xs.Max(v => Math.Abs((double)v)) / (postRelu ? 255 : 127);
        for (int r = 0; r < 6; r++)
            for (int o = 0; o < 9; o++)
            {
                double sw = Enumerable.Range(0, 64).Max(i => Math.Abs((double)w[o * 64 + i])) / 127;
                // |x̂ŵ − xw| ≤ |x|·|Δw| + |w|·|Δx| + |Δx|·|Δw|, with |Δw| ≤ sw/2 and |Δx| ≤ sx/2; plus float32 rounding.
                double bound = 0, mag = Math.Abs(b[o]);
                for (int i = 0; i < 64; i++)
                {
                    double xi = Math.Abs((double)xs[r * 64 + i]), wi = Math.Abs((double)w[o * 64 + i]);
                    bound += xi * sw / 2 + wi * sx / 2 + sx * sw / 4;
                    mag += xi * wi;
                }
                bound += 1e-5 * mag + 1e-6;
                double err = Math.Abs(q[r * 9 + o] - yf[r * 9 + o]);
                Assert.True(err <= bound, $"row {r} out {o}: |error| {err} > bound {bound}");
            }
    }

    private static Conv2d MakeConv(Generator gen) =>
        new(4, 6, 3, stride: 2, padding: 1, dilation: (2, 1), groups: 2, generator: gen);

    // Direct convolution over the codes (independent of Im2Col), and the float error bound of each output.
    private static (float[] Y, double[] Bound) RefConv(Conv2d c, float[] x, int n, int h, int w, IApproximateMultiplier m, bool unsigned)
    {
        float[] wf = Data(c.Weight), bias = Data(c.Bias!);
        int outC = c.OutChannels, cg = c.InChannels / c.Groups, og = outC / c.Groups, kh = c.KernelSize.H, kw = c.KernelSize.W, per = cg * kh * kw;
        int oh = (h + 2 * c.Padding.H - c.Dilation.H * (kh - 1) - 1) / c.Stride.H + 1;
        int ow = (w + 2 * c.Padding.W - c.Dilation.W * (kw - 1) - 1) / c.Stride.W + 1;
        var (wq, sw) = RefWeights(wf, outC, per);
        var (xq, sx) = RefInput(x, unsigned);
        var y = new float[n * outC * oh * ow];
        var bound = new double[y.Length];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < outC; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        long acc = 0; double bd = 0, mag = Math.Abs(bias[o]);
                        for (int ci = 0; ci < cg; ci++)
                            for (int a = 0; a < kh; a++)
                                for (int e = 0; e < kw; e++)
                                {
                                    int yy = i * c.Stride.H - c.Padding.H + a * c.Dilation.H, xx = j * c.Stride.W - c.Padding.W + e * c.Dilation.W;
                                    if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                                    int xi = ((b * c.InChannels + (o / og) * cg + ci) * h + yy) * w + xx, wi = ((o * cg + ci) * kh + a) * kw + e;
                                    acc += m.Multiply(xq[xi], wq[wi]);
                                    double ax = Math.Abs((double)x[xi]), aw = Math.Abs((double)wf[wi]);
                                    bd += ax * sw[o] / 2 + aw * sx / 2 + sx * sw[o] / 4;
                                    mag += ax * aw;
                                }
                        int idx = ((b * outC + o) * oh + i) * ow + j;
                        double scale = sx * sw[o];
                        y[idx] = (float)(scale * acc + bias[o]);
                        bound[idx] = bd + 1e-5 * mag + 1e-6;
                    }
        return (y, bound);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2d_EqualsTheIndependentIntegerComputation(string mult, bool postRelu)
    {
        var gen = new Generator(5);
        var conv = MakeConv(gen);
        var x = Tensor.Randn([3, 4, 9, 7], gen);
        if (postRelu) x = x.Relu();
        var m = Make(mult);
        var layer = new ApproximateConv2d(conv, new ProductTable(m), postRelu ? ApproximateInputMode.Unsigned : ApproximateInputMode.Symmetric);
        var y = layer.Forward(x);
        var (expected, _) = RefConv(conv, Data(x), 3, 9, 7, m, postRelu);
        Assert.Equal(conv.Forward(x).Shape.ToArray(), y.Shape.ToArray());
        Assert.Equal(expected, Data(y));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Conv2d_WithTheExactMultiplier_IsWithinTheInt8ErrorOfTheFloatLayer(bool postRelu)
    {
        var gen = new Generator(6);
        var conv = MakeConv(gen);
        var x = Tensor.Randn([2, 4, 8, 8], gen);
        if (postRelu) x = x.Relu();
        var layer = new ApproximateConv2d(conv, new ProductTable(new ExactMultiplier(B)));
        var q = Data(layer.Forward(x));
        var f = Data(conv.Forward(x));
        var (_, bound) = RefConv(conv, Data(x), 2, 8, 8, new ExactMultiplier(B), postRelu);
        for (int i = 0; i < q.Length; i++)
            Assert.True(Math.Abs(q[i] - f[i]) <= bound[i], $"output {i}: |error| {Math.Abs(q[i] - f[i])} > bound {bound[i]}");
    }

    [Fact]
    public void UnsignedMode_RejectsNegativeInputs_NamingTheFix()
    {
        var gen = new Generator(7);
        var layer = new ApproximateLinear(new Linear(4, 2, generator: gen), new ProductTable(new ExactMultiplier(B)), ApproximateInputMode.Unsigned);
        var ex = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Randn([3, 4], gen)));
        Assert.Contains("Symmetric", ex.Message);
        Assert.Throws<ArgumentException>(() => new ProductTable(new ExactMultiplier(9)));
    }

    private static Sequential SmallNet(Generator gen) => new(
        new Conv2d(3, 4, 3, padding: 1, generator: gen), new ReLU(),
        new Conv2d(4, 4, 3, stride: 2, padding: 1, groups: 2, generator: gen), new ReLU(),
        new Flatten(), new Linear(64, 5, generator: gen));

    [Fact]
    public void Replace_KeepsParameterNamesTensorsAndOutputShape_AndTheExactMultiplierStaysCloseToFloat()
    {
        var gen = new Generator(8);
        var model = SmallNet(gen);
        var x = Tensor.Randn([4, 3, 8, 8], gen);
        var before = model.StateDict();
        var yFloat = Data(model.Forward(x));

        var replaced = ApproximateModel.Replace(model, new ExactMultiplier(B));
        Assert.Equal(["0", "2", "5"], replaced);
        Assert.IsType<ApproximateConv2d>(model.GetSubmodule("0"));
        Assert.IsType<ApproximateLinear>(model.GetSubmodule("5"));
        var after = model.StateDict();
        Assert.Equal(before.Keys.OrderBy(k => k), after.Keys.OrderBy(k => k));
        Assert.All(before, kv => Assert.Same(kv.Value, after[kv.Key]));
        var y = model.Forward(x);
        Assert.Equal([4, 5], y.Shape.ToArray());
        double scale = yFloat.Max(v => Math.Abs((double)v));
        Assert.All(Data(y).Zip(yFloat), p => Assert.True(Math.Abs(p.First - p.Second) <= 0.05 * scale, $"{p.First} vs {p.Second}"));

        var again = Assert.Throws<InvalidOperationException>(() => ApproximateModel.Replace(model, new DrumMultiplier(4, B)));
        Assert.Contains("already approximate", again.Message);
    }

    [Fact]
    public void Replace_OnAResNet_WithAFilter_KeepsTheFirstConvFloat_AndAnApproximateMultiplierChangesTheOutput()
    {
        Tensor Run(IApproximateMultiplier? m, out IReadOnlyList<string> paths, out Dictionary<string, Tensor> keysBefore, out Dictionary<string, Tensor> keysAfter)
        {
            var model = new ResNetCifar(depth: 8, numClasses: 10, generator: new Generator(9));
            model.Eval();
            keysBefore = model.StateDict();
            paths = m is null ? [] : ApproximateModel.Replace(model, m, where: (p, _) => p != "conv1");
            keysAfter = model.StateDict();
            using (Torch.NoGrad()) return model.Forward(Tensor.Randn([2, 3, 8, 8], new Generator(10)));
        }
        var yf = Run(null, out _, out _, out _);
        var ye = Run(new ExactMultiplier(B), out var paths, out var kb, out var ka);
        var yd = Run(new DrumMultiplier(3, B), out _, out _, out _);
        Assert.DoesNotContain("conv1", paths);
        Assert.Contains(paths, p => p.EndsWith("conv1", StringComparison.Ordinal) && p != "conv1");
        Assert.Equal(kb.Keys.OrderBy(k => k), ka.Keys.OrderBy(k => k));
        Assert.Equal(yf.Shape, ye.Shape);
        Assert.NotEqual(Data(ye), Data(yd));
    }
}
