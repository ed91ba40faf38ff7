using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>The fused modules against cells unrolled over time (values and every gradient), and the cells' own math.</summary>
public class RecurrentCellTests
{
    public static TheoryData<string, int, bool, bool, bool> Configs => new()
    {
        // kind, layers, bidirectional, bias, with initial state
        { "lstm", 1, false, true, true },
        { "lstm", 2, true, true, true },
        { "lstm", 2, true, false, false },
        { "gru", 1, false, true, false },
        { "gru", 2, true, true, true },
        { "tanh", 2, true, true, true },
        { "relu", 2, true, true, true },
        { "relu", 1, false, false, false },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void FusedModule_EqualsUnrolledCells_ValuesAndGradients(string kind, int layers, bool bidirectional, bool bias, bool withState)
    {
        const int steps = 5, batch = 3, input = 4, hidden = 6;
        var gen = new Generator(100 + layers);
        Module module = kind switch
        {
            "lstm" => new Lstm(input, hidden, layers, bias, bidirectional: bidirectional, generator: gen),
            "gru" => new Gru(input, hidden, layers, bias, bidirectional: bidirectional, generator: gen),
            _ => new Rnn(input, hidden, layers, kind, bias, bidirectional: bidirectional, generator: gen),
        };
        int states = layers * (bidirectional ? 2 : 1);
        var allWeights = module switch
        {
            Lstm l => l.AllWeights,
            Gru g => g.AllWeights,
            _ => ((Rnn)module).AllWeights,
        };
        var reference = new RecurrentReference(kind, allWeights, layers, bidirectional);

        var x = Tensor.Randn([steps, batch, input], new Generator(7)).RequiresGrad_();
        var h0 = withState ? (Tensor.Randn([states, batch, hidden], new Generator(8)) * 0.5f).RequiresGrad_() : null;
        var c0 = withState && kind == "lstm" ? Tensor.Randn([states, batch, hidden], new Generator(9)).RequiresGrad_() : null;
        var xr = x.Detach().Clone().RequiresGrad_();
        var h0r = h0?.Detach().Clone().RequiresGrad_();
        var c0r = c0?.Detach().Clone().RequiresGrad_();

        var (y, hn, cn) = module switch
        {
            Lstm l => Unpack(l.Forward(x, h0 is null ? null : (h0, c0!))),
            Gru g => Unpack(g.Forward(x, h0)),
            _ => Unpack(((Rnn)module).Forward(x, h0)),
        };
        var (yr, hr, cr) = reference.Run(xr, h0r, c0r);
        AssertClose.Equal(yr, y, 1e-5, 1e-5, "y");
        AssertClose.Equal(hr, hn, 1e-5, 1e-5, "h_n");
        if (cr is not null) AssertClose.Equal(cr, cn!, 1e-5, 1e-5, "c_n");

        var gy = Tensor.Randn(y.Shape.ToArray(), new Generator(10));
        var gh = Tensor.Randn(hn.Shape.ToArray(), new Generator(11));
        var gc = Tensor.Randn(hn.Shape.ToArray(), new Generator(12));
        Loss(y, hn, cn, gy, gh, gc).Backward();
        Loss(yr, hr, cr, gy, gh, gc).Backward();
        AssertClose.Equal(xr.Grad!, x.Grad!, 1e-4, 1e-5, "dx");
        if (h0 is not null) AssertClose.Equal(h0r!.Grad!, h0.Grad!, 1e-4, 1e-5, "dh0");
        if (c0 is not null) AssertClose.Equal(c0r!.Grad!, c0.Grad!, 1e-4, 1e-5, "dc0");
        foreach (var (name, p) in module.NamedParameters())
            AssertClose.Equal(reference.GradOf(name)!, p.Grad!, 1e-4, 1e-5, name);
    }

    private static (Tensor, Tensor, Tensor?) Unpack((Tensor Output, Tensor HN, Tensor CN) r) => (r.Output, r.HN, r.CN);
    private static (Tensor, Tensor, Tensor?) Unpack((Tensor Output, Tensor HN) r) => (r.Output, r.HN, null);

    private static Tensor Loss(Tensor y, Tensor h, Tensor? c, Tensor gy, Tensor gh, Tensor gc)
    {
        var l = (y * gy).Sum() + (h * gh).Sum();
        return c is null ? l : l + (c * gc).Sum();
    }

    [Fact]
    public void LstmCell_MatchesHandWrittenEquations()
    {
        var cell = new LstmCell(2, 3, generator: new Generator(1));
        var x = Tensor.Randn([4, 2], new Generator(2));
        var h = Tensor.Randn([4, 3], new Generator(3));
        var c = Tensor.Randn([4, 3], new Generator(4));
        var (h1, c1) = cell.Forward(x, (h, c));
        float[] w = cell.WeightIh.ToArray(), u = cell.WeightHh.ToArray(), bi = cell.BiasIh!.ToArray(), bh = cell.BiasHh!.ToArray();
        float[] xv = x.ToArray(), hv = h.ToArray(), cv = c.ToArray(), hOut = h1.ToArray(), cOut = c1.ToArray();
        for (int b = 0; b < 4; b++)
            for (int j = 0; j < 3; j++)
            {
                double Pre(int gate)
                {
                    int row = gate * 3 + j;
                    double s = bi[row] + bh[row];
                    for (int k = 0; k < 2; k++) s += w[row * 2 + k] * xv[b * 2 + k];
                    for (int k = 0; k < 3; k++) s += u[row * 3 + k] * hv[b * 3 + k];
                    return s;
                }
                static double Sig(double v) => 1 / (1 + Math.Exp(-v));
                double cNew = Sig(Pre(1)) * cv[b * 3 + j] + Sig(Pre(0)) * Math.Tanh(Pre(2));
                double hNew = Sig(Pre(3)) * Math.Tanh(cNew);
                Assert.Equal(cNew, cOut[b * 3 + j], 5);
                Assert.Equal(hNew, hOut[b * 3 + j], 5);
            }
    }

    [Fact]
    public void GruCell_MatchesHandWrittenEquations_AndUnbatchedInput()
    {
        var cell = new GruCell(2, 3, generator: new Generator(5));
        var x = Tensor.Randn([2], new Generator(6));
        var h = Tensor.Randn([3], new Generator(7));
        var h1 = cell.Forward(x, h);
        Assert.Equal(new Shape(3), h1.Shape);
        float[] w = cell.WeightIh.ToArray(), u = cell.WeightHh.ToArray(), bi = cell.BiasIh!.ToArray(), bh = cell.BiasHh!.ToArray();
        float[] xv = x.ToArray(), hv = h.ToArray(), hOut = h1.ToArray();
        for (int j = 0; j < 3; j++)
        {
            double I(int gate) { int row = gate * 3 + j; double s = bi[row]; for (int k = 0; k < 2; k++) s += w[row * 2 + k] * xv[k]; return s; }
            double H(int gate) { int row = gate * 3 + j; double s = bh[row]; for (int k = 0; k < 3; k++) s += u[row * 3 + k] * hv[k]; return s; }
            static double Sig(double v) => 1 / (1 + Math.Exp(-v));
            double r = Sig(I(0) + H(0)), z = Sig(I(1) + H(1)), n = Math.Tanh(I(2) + r * H(2));
            Assert.Equal((1 - z) * n + z * hv[j], hOut[j], 5);
        }
    }

    [Fact]
    public void RnnCell_Relu_And_Tanh_MatchEquations_ZeroStateByDefault()
    {
        foreach (var nl in new[] { "tanh", "relu" })
        {
            var cell = new RnnCell(3, 4, nonlinearity: nl, generator: new Generator(8));
            var x = Tensor.Randn([2, 3], new Generator(9));
            var h1 = cell.Forward(x);
            var pre = x.Matmul(cell.WeightIh.T) + cell.BiasIh! + cell.BiasHh!;
            var expected = nl == "relu" ? pre.Relu() : pre.Tanh();
            AssertClose.Equal(expected, h1, 1e-6, 1e-6, nl);
        }
    }

    [Fact]
    public void Cells_SupportSecondOrderGradients()
    {
        // The cells are plain tensor ops, so createGraph works (unlike the fused modules).
        var cell = new RnnCell(2, 2, generator: new Generator(3));
        var x = Tensor.Randn([1, 2], new Generator(4)).RequiresGrad_();
        var g = Autograd.Grad(cell.Forward(x).Sum(), x, createGraph: true);
        var gg = Autograd.Grad(g.Sum(), x);
        var eps = 1e-2f;
        // Finite difference of the first derivative along each coordinate.
        for (int i = 0; i < 2; i++)
        {
            float Dsum(float delta)
            {
                var xp = x.Detach().Clone();
                xp.AsSpan()[i] += delta;
                xp.RequiresGrad_();
                return Autograd.Grad(cell.Forward(xp).Sum(), xp).Sum().Item();
            }
            double numeric = (Dsum(eps) - Dsum(-eps)) / (2 * eps);
            Assert.Equal(numeric, gg.ToArray()[i], 2);
        }
    }
}
