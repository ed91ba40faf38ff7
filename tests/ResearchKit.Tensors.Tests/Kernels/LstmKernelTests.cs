using ResearchKit.Tensors.Kernels;
using Xunit;
using static ResearchKit.Tensors.Tests.Kernels.RecurrentTestUtil;

namespace ResearchKit.Tensors.Tests.Kernels;

public class LstmKernelTests
{
    /// <summary>One LSTM problem: sizes, inputs and PyTorch-layout parameters (empty bias = bias=False).</summary>
    private sealed class Problem
    {
        public int T, B, I, H;
        public float[] X = [], H0 = [], C0 = [], WIh = [], WHh = [], BIh = [], BHh = [];

        public static Problem Create(int seed, int t, int b, int i, int h, bool bias, bool state = true)
        {
            var rng = new Random(seed);
            return new Problem
            {
                T = t, B = b, I = i, H = h,
                X = Random(rng, t * b * i, 1.0),
                H0 = state ? Random(rng, b * h) : [],
                C0 = state ? Random(rng, b * h) : [],
                WIh = Random(rng, 4 * h * i),
                WHh = Random(rng, 4 * h * h),
                BIh = bias ? Random(rng, 4 * h) : [],
                BHh = bias ? Random(rng, 4 * h) : [],
            };
        }

        public (float[] Y, float[] HN, float[] CN) Forward(LstmWorkspace ws)
        {
            var y = new float[T * B * H];
            var hN = new float[B * H];
            var cN = new float[B * H];
            LstmKernel.Forward(ws, X, H0, C0, WIh, WHh, BIh, BHh, y, hN, cN);
            return (y, hN, cN);
        }

        /// <summary>Naive per-step, per-unit LSTM in double, written straight from the PyTorch documentation.</summary>
        public (double[] Y, double[] HN, double[] CN) Reference()
        {
            var y = new double[T * B * H];
            var hN = new double[B * H];
            var cN = new double[B * H];
            for (int b = 0; b < B; b++)
            {
                var h = new double[H];
                var c = new double[H];
                for (int j = 0; j < H; j++)
                {
                    h[j] = H0.Length == 0 ? 0 : H0[b * H + j];
                    c[j] = C0.Length == 0 ? 0 : C0[b * H + j];
                }
                for (int t = 0; t < T; t++)
                {
                    var xt = new double[I];
                    for (int k = 0; k < I; k++) xt[k] = X[(t * B + b) * I + k];
                    var hNew = new double[H];
                    var cNew = new double[H];
                    for (int j = 0; j < H; j++)
                    {
                        double Pre(int gate)
                        {
                            int row = gate * H + j;
                            double s = Row(WIh, row, I, xt) + Row(WHh, row, H, h);
                            if (BIh.Length != 0) s += (double)BIh[row] + BHh[row];
                            return s;
                        }
                        double ig = Sigmoid(Pre(0)), fg = Sigmoid(Pre(1)), gg = Math.Tanh(Pre(2)), og = Sigmoid(Pre(3));
                        cNew[j] = fg * c[j] + ig * gg;
                        hNew[j] = og * Math.Tanh(cNew[j]);
                    }
                    h = hNew;
                    c = cNew;
                    for (int j = 0; j < H; j++) y[(t * B + b) * H + j] = h[j];
                }
                Array.Copy(h, 0, hN, b * H, H);
                Array.Copy(c, 0, cN, b * H, H);
            }
            return (y, hN, cN);
        }
    }

    [Theory]
    [InlineData(1, 4, 3, 5, 6, true)]
    [InlineData(2, 4, 3, 5, 6, false)]
    [InlineData(3, 3, 2, 7, 25, true)] // H = 16 + 8 + 1 exercises the 512, 256 and scalar lanes
    [InlineData(4, 1, 1, 1, 1, true)]
    [InlineData(5, 6, 5, 3, 40, true)]
    public void Forward_MatchesDoubleReference(int seed, int t, int b, int i, int h, bool bias)
    {
        var p = Problem.Create(seed, t, b, i, h, bias);
        var (y, hN, cN) = p.Forward(new LstmWorkspace(t, b, i, h));
        var (ry, rh, rc) = p.Reference();
        AssertClose(ry, y, 2e-6, 1e-5, "y");
        AssertClose(rh, hN, 2e-6, 1e-5, "h_n");
        AssertClose(rc, cN, 2e-6, 1e-5, "c_n");
    }

    [Fact]
    public void Forward_KnownValues()
    {
        // Hand-computed with Python's math module: I = H = 1, every gate has distinct weights so a gate-order
        // mix-up changes the numbers. Gate order i, f, g, o.
        var ws = new LstmWorkspace(2, 1, 1, 1);
        var y = new float[2];
        var hN = new float[1];
        var cN = new float[1];
        LstmKernel.Forward(ws, [1f, -2f], [0.2f], [-0.1f], [0.5f, -0.3f, 0.8f, 0.2f], [0.1f, 0.2f, -0.4f, 0.3f],
            [0.1f, 0.2f, 0f, -0.1f], [0.05f, -0.05f, 0.1f, 0f], y, hN, cN);
        AssertClose([0.204820371, -0.001715214], y, 1e-6, 0, "y");
        AssertClose([-0.001715214], hN, 1e-6, 0, "h_n");
        AssertClose([-0.004374620], cN, 1e-6, 0, "c_n");
    }

    [Fact]
    public void Forward_EmptyInitialStatesMeanZeros()
    {
        var p = Problem.Create(7, 3, 2, 4, 5, true, state: false);
        var (y, hN, cN) = p.Forward(new LstmWorkspace(3, 2, 4, 5));
        p.H0 = new float[10];
        p.C0 = new float[10];
        var (y2, hN2, cN2) = p.Forward(new LstmWorkspace(3, 2, 4, 5));
        Assert.Equal(y2, y);
        Assert.Equal(hN2, hN);
        Assert.Equal(cN2, cN);
        AssertClose(p.Reference().Y, y, 2e-6, 1e-5, "y");
    }

    [Fact]
    public void Forward_WorkspaceReuseGivesSameResultAsFreshWorkspace()
    {
        var ws = new LstmWorkspace(4, 3, 5, 6);
        Problem.Create(8, 4, 3, 5, 6, true).Forward(ws);
        var p = Problem.Create(9, 4, 3, 5, 6, false);
        var reused = p.Forward(ws);
        var fresh = p.Forward(new LstmWorkspace(4, 3, 5, 6));
        Assert.Equal(fresh.Y, reused.Y);
        Assert.Equal(fresh.HN, reused.HN);
        Assert.Equal(fresh.CN, reused.CN);
        Assert.True(ws.Matches(4, 3, 5, 6));
        Assert.False(ws.Matches(4, 3, 5, 7));
    }

    [Theory]
    [InlineData(11, 4, 3, 5, 6, true)]
    [InlineData(12, 4, 3, 5, 6, false)]
    [InlineData(13, 3, 2, 3, 25, true)]
    public void Backward_MatchesFiniteDifferences(int seed, int t, int b, int i, int h, bool bias)
    {
        var p = Problem.Create(seed, t, b, i, h, bias);
        var rng = new Random(seed + 1000);
        float[] wy = Random(rng, t * b * h, 1.0), wh = Random(rng, b * h, 1.0), wc = Random(rng, b * h, 1.0);
        var ws = new LstmWorkspace(t, b, i, h);
        double Loss()
        {
            var (y, hN, cN) = p.Forward(ws);
            return Dot(y, wy) + Dot(hN, wh) + Dot(cN, wc);
        }

        Loss();
        int g4 = 4 * h;
        float[] dx = new float[t * b * i], dh0 = new float[b * h], dc0 = new float[b * h];
        float[] dWih = new float[g4 * i], dWhh = new float[g4 * h], dbIh = new float[g4], dbHh = new float[g4];
        LstmKernel.Backward(ws, p.X, p.WIh, p.WHh, wy, wh, wc, dx, dh0, dc0, dWih, dWhh, dbIh, dbHh);

        const double atol = 1e-3, rtol = 1e-3;
        AssertClose(FiniteDifference(Loss, p.X), dx, atol, rtol, "dx");
        AssertClose(FiniteDifference(Loss, p.H0), dh0, atol, rtol, "dh0");
        AssertClose(FiniteDifference(Loss, p.C0), dc0, atol, rtol, "dc0");
        AssertClose(FiniteDifference(Loss, p.WIh), dWih, atol, rtol, "dW_ih");
        AssertClose(FiniteDifference(Loss, p.WHh), dWhh, atol, rtol, "dW_hh");
        if (bias)
        {
            AssertClose(FiniteDifference(Loss, p.BIh), dbIh, atol, rtol, "db_ih");
            AssertClose(FiniteDifference(Loss, p.BHh), dbHh, atol, rtol, "db_hh");
        }
        else
        {
            // Without a bias the FD has nothing to perturb; the column sums still define the would-be gradient,
            // which must equal the bias gradient of the same network with a zero bias.
            var withZeroBias = new Problem { T = t, B = b, I = i, H = h, X = p.X, H0 = p.H0, C0 = p.C0, WIh = p.WIh, WHh = p.WHh, BIh = new float[g4], BHh = new float[g4] };
            p = withZeroBias;
            Loss();
            AssertClose(FiniteDifference(Loss, p.BIh), dbIh, atol, rtol, "db_ih (zero bias)");
            Assert.Equal(dbIh, dbHh);
        }
    }

    [Fact]
    public void Backward_EmptyUpstreamGradientsEqualExplicitZeros()
    {
        var p = Problem.Create(21, 4, 3, 5, 6, true);
        var ws = new LstmWorkspace(4, 3, 5, 6);
        p.Forward(ws);
        var rng = new Random(22);
        float[] dy = Random(rng, 4 * 3 * 6), dhN = Random(rng, 18), dcN = Random(rng, 18);
        float[] zY = new float[dy.Length], zS = new float[18];
        foreach (var (a, b2, c) in new[] { (true, false, false), (false, true, false), (false, false, true), (true, true, false) })
        {
            var empty = Grads(ws, p, a ? dy : [], b2 ? dhN : [], c ? dcN : []);
            var zeros = Grads(ws, p, a ? dy : zY, b2 ? dhN : zS, c ? dcN : zS);
            for (int k = 0; k < empty.Length; k++) Assert.Equal(zeros[k], empty[k]);
            Assert.Contains(empty[4], v => v != 0f); // dW_hh is non-trivial for every combination
        }
        // No upstream gradient at all: every gradient is exactly zero.
        foreach (var g in Grads(ws, p, [], [], [])) Assert.All(g, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Backward_OptionalOutputsAndRepeatedCallsAreConsistent()
    {
        var p = Problem.Create(31, 5, 2, 3, 7, true);
        var ws = new LstmWorkspace(5, 2, 3, 7);
        p.Forward(ws);
        var rng = new Random(32);
        float[] dy = Random(rng, 5 * 2 * 7), dhN = Random(rng, 14), dcN = Random(rng, 14);
        var full = Grads(ws, p, dy, dhN, dcN);
        var again = Grads(ws, p, dy, dhN, dcN);
        for (int k = 0; k < full.Length; k++) Assert.Equal(full[k], again[k]);

        // Only dW_hh requested: same values (dh0 GEMM at t = 0 skipped, nothing else may change).
        var dWhh = new float[28 * 7];
        LstmKernel.Backward(ws, p.X, p.WIh, p.WHh, dy, dhN, dcN, [], [], [], [], dWhh, [], []);
        Assert.Equal(full[4], dWhh);
        // Only db_hh requested.
        var dbHh = new float[28];
        LstmKernel.Backward(ws, p.X, p.WIh, p.WHh, dy, dhN, dcN, [], [], [], [], [], [], dbHh);
        Assert.Equal(full[5], dbHh);
        Assert.Equal(full[5], full[6]);
    }

    /// <summary>Runs backward with every output requested: dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh.</summary>
    private static float[][] Grads(LstmWorkspace ws, Problem p, float[] dy, float[] dhN, float[] dcN)
    {
        int g4 = 4 * p.H;
        float[][] r = [new float[p.T * p.B * p.I], new float[p.B * p.H], new float[p.B * p.H], new float[g4 * p.I], new float[g4 * p.H], new float[g4], new float[g4]];
        // Pre-fill with NaN: outputs must be overwritten, never accumulated.
        foreach (var a in r) Array.Fill(a, float.NaN);
        LstmKernel.Backward(ws, p.X, p.WIh, p.WHh, dy, dhN, dcN, r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
        return r;
    }

    [Fact]
    public void Errors_NameTheOpTheSpanAndTheExpectedSize()
    {
        var p = Problem.Create(41, 4, 3, 5, 6, true);
        var ws = new LstmWorkspace(4, 3, 5, 6);
        float[] y = new float[72], s = new float[18];

        var ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(ws, new float[59], p.H0, p.C0, p.WIh, p.WHh, p.BIh, p.BHh, y, s, s));
        Assert.Contains("LstmKernel.Forward: x has 59 elements but needs 60", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(ws, p.X, p.H0, p.C0, p.WIh, new float[143], p.BIh, p.BHh, y, s, s));
        Assert.Contains("W_hh has 143 elements but needs 144", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(ws, p.X, p.H0, p.C0, new float[121], p.WHh, p.BIh, p.BHh, y, s, s));
        Assert.Contains("W_ih has 121 elements but needs 120", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(ws, p.X, p.H0, new float[17], p.WIh, p.WHh, p.BIh, p.BHh, y, s, s));
        Assert.Contains("c0 has 17 elements but needs 18", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(ws, p.X, new float[17], p.C0, p.WIh, p.WHh, p.BIh, p.BHh, y, s, s));
        Assert.Contains("h0 has 17 elements", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(ws, p.X, p.H0, p.C0, p.WIh, p.WHh, p.BIh, [], y, s, s));
        Assert.Contains("pass both biases", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(ws, p.X, p.H0, p.C0, p.WIh, p.WHh, p.BIh, new float[23], y, s, s));
        Assert.Contains("b_hh has 23 elements but needs 24", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(ws, p.X, p.H0, p.C0, p.WIh, p.WHh, p.BIh, p.BHh, new float[71], s, s));
        Assert.Contains("y has 71 elements", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(ws, p.X, p.H0, p.C0, p.WIh, p.WHh, p.BIh, p.BHh, y, s, new float[5]));
        Assert.Contains("c_n has 5 elements", ex.Message);

        var inv = Assert.Throws<InvalidOperationException>(() => LstmKernel.Backward(ws, p.X, p.WIh, p.WHh, y, s, s, [], [], [], [], [], [], []));
        Assert.Contains("call LstmKernel.Forward", inv.Message);

        p.Forward(ws);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Backward(ws, p.X, p.WIh, p.WHh, new float[70], s, s, [], [], [], [], [], [], []));
        Assert.Contains("LstmKernel.Backward: dy has 70 elements but needs 72", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Backward(ws, p.X, p.WIh, p.WHh, y, s, new float[1], [], [], [], [], [], [], []));
        Assert.Contains("dc_n has 1 elements", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Backward(ws, p.X, p.WIh, p.WHh, y, s, s, new float[3], [], [], [], [], [], []));
        Assert.Contains("dx has 3 elements but needs 60", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Backward(ws, p.X, p.WIh, p.WHh, y, s, s, [], [], [], [], new float[10], [], []));
        Assert.Contains("dW_hh has 10 elements but needs 144", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Backward(ws, p.X, p.WIh, p.WHh, y, s, s, [], [], [], [], [], [], new float[4]));
        Assert.Contains("db_hh has 4 elements but needs 24", ex.Message);

        var range = Assert.Throws<ArgumentOutOfRangeException>(() => new LstmWorkspace(0, 3, 5, 6));
        Assert.Contains("seqLen=0", range.Message);
        Assert.Throws<ArgumentNullException>(() => LstmKernel.Forward(null!, p.X, p.H0, p.C0, p.WIh, p.WHh, p.BIh, p.BHh, y, s, s));
    }

    [Fact]
    public void Forward_ValidationFailureKeepsThePreviousForward()
    {
        var p = Problem.Create(51, 2, 2, 2, 2, true);
        var ws = new LstmWorkspace(2, 2, 2, 2);
        p.Forward(ws);
        Assert.True(ws.HasForward);
        Assert.Throws<ArgumentException>(() => LstmKernel.Forward(ws, p.X, p.H0, p.C0, p.WIh, p.WHh, p.BIh, p.BHh, new float[1], [], []));
        // Validation happens before any state is touched, so the earlier forward is still valid.
        Assert.True(ws.HasForward);
    }
}
