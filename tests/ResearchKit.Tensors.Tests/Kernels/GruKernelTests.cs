using ResearchKit.Tensors.Kernels;
using Xunit;
using static ResearchKit.Tensors.Tests.Kernels.RecurrentTestUtil;

namespace ResearchKit.Tensors.Tests.Kernels;

public class GruKernelTests
{
    /// <summary>One GRU problem: sizes, inputs and PyTorch-layout parameters (empty bias = bias=False).</summary>
    private sealed class Problem
    {
        public int T, B, I, H;
        public float[] X = [], H0 = [], WIh = [], WHh = [], BIh = [], BHh = [];

        public static Problem Create(int seed, int t, int b, int i, int h, bool bias, bool state = true)
        {
            var rng = new Random(seed);
            return new Problem
            {
                T = t, B = b, I = i, H = h,
                X = Random(rng, t * b * i, 1.0),
                H0 = state ? Random(rng, b * h) : [],
                WIh = Random(rng, 3 * h * i),
                WHh = Random(rng, 3 * h * h),
                BIh = bias ? Random(rng, 3 * h) : [],
                BHh = bias ? Random(rng, 3 * h) : [],
            };
        }

        public (float[] Y, float[] HN) Forward(GruWorkspace ws)
        {
            var y = new float[T * B * H];
            var hN = new float[B * H];
            GruKernel.Forward(ws, X, H0, WIh, WHh, BIh, BHh, y, hN);
            return (y, hN);
        }

        /// <summary>Naive per-step, per-unit GRU in double, written straight from the PyTorch documentation.</summary>
        public (double[] Y, double[] HN) Reference()
        {
            var y = new double[T * B * H];
            var hN = new double[B * H];
            bool bias = BIh.Length != 0;
            for (int b = 0; b < B; b++)
            {
                var h = new double[H];
                for (int j = 0; j < H; j++) h[j] = H0.Length == 0 ? 0 : H0[b * H + j];
                for (int t = 0; t < T; t++)
                {
                    var xt = new double[I];
                    for (int k = 0; k < I; k++) xt[k] = X[(t * B + b) * I + k];
                    var hNew = new double[H];
                    for (int j = 0; j < H; j++)
                    {
                        int rRow = j, zRow = H + j, nRow = 2 * H + j;
                        double r = Sigmoid(Row(WIh, rRow, I, xt) + Row(WHh, rRow, H, h) + (bias ? (double)BIh[rRow] + BHh[rRow] : 0));
                        double z = Sigmoid(Row(WIh, zRow, I, xt) + Row(WHh, zRow, H, h) + (bias ? (double)BIh[zRow] + BHh[zRow] : 0));
                        double n = Math.Tanh(Row(WIh, nRow, I, xt) + (bias ? BIh[nRow] : 0)
                            + r * (Row(WHh, nRow, H, h) + (bias ? BHh[nRow] : 0)));
                        hNew[j] = (1 - z) * n + z * h[j];
                    }
                    h = hNew;
                    for (int j = 0; j < H; j++) y[(t * B + b) * H + j] = h[j];
                }
                Array.Copy(h, 0, hN, b * H, H);
            }
            return (y, hN);
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
        var (y, hN) = p.Forward(new GruWorkspace(t, b, i, h));
        var (ry, rh) = p.Reference();
        AssertClose(ry, y, 2e-6, 1e-5, "y");
        AssertClose(rh, hN, 2e-6, 1e-5, "h_n");
    }

    [Fact]
    public void Forward_KnownValues()
    {
        // Hand-computed with Python's math module: I = H = 1, gate order r, z, n; b_hn = -0.5 sits inside r ⊙ (…),
        // so folding it into the input bias (a common mistake) changes the numbers.
        var ws = new GruWorkspace(2, 1, 1, 1);
        var y = new float[2];
        var hN = new float[1];
        GruKernel.Forward(ws, [1f, -2f], [-0.3f], [0.6f, -0.4f, 0.9f], [-0.2f, 0.5f, 0.7f],
            [0.1f, -0.1f, 0.2f], [0f, 0.3f, -0.5f], y, hN);
        AssertClose([0.197747286, -0.085095811], y, 1e-6, 0, "y");
        AssertClose([-0.085095811], hN, 1e-6, 0, "h_n");
    }

    [Fact]
    public void Forward_EmptyInitialStateMeansZerosAndWorkspaceIsReusable()
    {
        var p = Problem.Create(7, 3, 2, 4, 5, true, state: false);
        var ws = new GruWorkspace(3, 2, 4, 5);
        Problem.Create(70, 3, 2, 4, 5, false).Forward(ws); // dirty the workspace first
        var (y, hN) = p.Forward(ws);
        p.H0 = new float[10];
        var (y2, hN2) = p.Forward(new GruWorkspace(3, 2, 4, 5));
        Assert.Equal(y2, y);
        Assert.Equal(hN2, hN);
        AssertClose(p.Reference().Y, y, 2e-6, 1e-5, "y");
    }

    [Theory]
    [InlineData(11, 4, 3, 5, 6, true)]
    [InlineData(12, 4, 3, 5, 6, false)]
    [InlineData(13, 3, 2, 3, 25, true)]
    public void Backward_MatchesFiniteDifferences(int seed, int t, int b, int i, int h, bool bias)
    {
        var p = Problem.Create(seed, t, b, i, h, bias);
        var rng = new Random(seed + 1000);
        float[] wy = Random(rng, t * b * h, 1.0), wh = Random(rng, b * h, 1.0);
        var ws = new GruWorkspace(t, b, i, h);
        double Loss()
        {
            var (y, hN) = p.Forward(ws);
            return Dot(y, wy) + Dot(hN, wh);
        }

        Loss();
        int g3 = 3 * h;
        float[] dx = new float[t * b * i], dh0 = new float[b * h];
        float[] dWih = new float[g3 * i], dWhh = new float[g3 * h], dbIh = new float[g3], dbHh = new float[g3];
        GruKernel.Backward(ws, p.X, p.WIh, p.WHh, wy, wh, dx, dh0, dWih, dWhh, dbIh, dbHh);

        const double atol = 1e-3, rtol = 1e-3;
        AssertClose(FiniteDifference(Loss, p.X), dx, atol, rtol, "dx");
        AssertClose(FiniteDifference(Loss, p.H0), dh0, atol, rtol, "dh0");
        AssertClose(FiniteDifference(Loss, p.WIh), dWih, atol, rtol, "dW_ih");
        AssertClose(FiniteDifference(Loss, p.WHh), dWhh, atol, rtol, "dW_hh");
        if (!bias)
        {
            // Bias gradients do not depend on the bias being present: compare against the same net with zero biases.
            p.BIh = new float[g3];
            p.BHh = new float[g3];
            Loss();
        }
        AssertClose(FiniteDifference(Loss, p.BIh), dbIh, atol, rtol, "db_ih");
        AssertClose(FiniteDifference(Loss, p.BHh), dbHh, atol, rtol, "db_hh");
        // r, z blocks agree; the n block differs by the factor r.
        for (int k = 0; k < 2 * h; k++) Assert.Equal(dbIh[k], dbHh[k]);
        Assert.Contains(Enumerable.Range(2 * h, h), k => Math.Abs(dbIh[k] - dbHh[k]) > 1e-4);
    }

    [Fact]
    public void Backward_EmptyUpstreamGradientsEqualExplicitZerosAndOutputsAreOptional()
    {
        var p = Problem.Create(21, 4, 3, 5, 6, true);
        var ws = new GruWorkspace(4, 3, 5, 6);
        p.Forward(ws);
        var rng = new Random(22);
        float[] dy = Random(rng, 72), dhN = Random(rng, 18);
        var onlyY = Grads(ws, p, dy, []);
        var onlyYz = Grads(ws, p, dy, new float[18]);
        var onlyH = Grads(ws, p, [], dhN);
        var onlyHz = Grads(ws, p, new float[72], dhN);
        for (int k = 0; k < onlyY.Length; k++)
        {
            Assert.Equal(onlyYz[k], onlyY[k]);
            Assert.Equal(onlyHz[k], onlyH[k]);
        }
        foreach (var g in Grads(ws, p, [], [])) Assert.All(g, v => Assert.Equal(0f, v));

        var full = Grads(ws, p, dy, dhN);
        var again = Grads(ws, p, dy, dhN);
        for (int k = 0; k < full.Length; k++) Assert.Equal(full[k], again[k]);
        var dWhh = new float[18 * 6];
        var dbHh = new float[18];
        GruKernel.Backward(ws, p.X, p.WIh, p.WHh, dy, dhN, [], [], [], dWhh, [], dbHh);
        Assert.Equal(full[3], dWhh);
        Assert.Equal(full[5], dbHh);
    }

    /// <summary>Runs backward with every output requested: dx, dh0, dW_ih, dW_hh, db_ih, db_hh (pre-filled with NaN).</summary>
    private static float[][] Grads(GruWorkspace ws, Problem p, float[] dy, float[] dhN)
    {
        int g3 = 3 * p.H;
        float[][] r = [new float[p.T * p.B * p.I], new float[p.B * p.H], new float[g3 * p.I], new float[g3 * p.H], new float[g3], new float[g3]];
        foreach (var a in r) Array.Fill(a, float.NaN);
        GruKernel.Backward(ws, p.X, p.WIh, p.WHh, dy, dhN, r[0], r[1], r[2], r[3], r[4], r[5]);
        return r;
    }

    [Fact]
    public void Errors_NameTheOpTheSpanAndTheExpectedSize()
    {
        var p = Problem.Create(41, 4, 3, 5, 6, true);
        var ws = new GruWorkspace(4, 3, 5, 6);
        float[] y = new float[72], s = new float[18];

        var ex = Assert.Throws<ArgumentException>(() => GruKernel.Forward(ws, new float[61], p.H0, p.WIh, p.WHh, p.BIh, p.BHh, y, s));
        Assert.Contains("GruKernel.Forward: x has 61 elements but needs 60", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GruKernel.Forward(ws, p.X, p.H0, new float[89], p.WHh, p.BIh, p.BHh, y, s));
        Assert.Contains("W_ih has 89 elements but needs 90", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GruKernel.Forward(ws, p.X, p.H0, p.WIh, p.WHh, [], p.BHh, y, s));
        Assert.Contains("pass both biases", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GruKernel.Forward(ws, p.X, p.H0, p.WIh, p.WHh, p.BIh, p.BHh, y, new float[19]));
        Assert.Contains("h_n has 19 elements but needs 18", ex.Message);

        var inv = Assert.Throws<InvalidOperationException>(() => GruKernel.Backward(ws, p.X, p.WIh, p.WHh, y, s, [], [], [], [], [], []));
        Assert.Contains("call GruKernel.Forward", inv.Message);
        p.Forward(ws);
        ex = Assert.Throws<ArgumentException>(() => GruKernel.Backward(ws, p.X, p.WIh, p.WHh, y, new float[17], [], [], [], [], [], []));
        Assert.Contains("GruKernel.Backward: dh_n has 17 elements but needs 18", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GruKernel.Backward(ws, p.X, p.WIh, p.WHh, y, s, [], new float[2], [], [], [], []));
        Assert.Contains("dh0 has 2 elements", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GruKernel.Backward(ws, p.X, p.WIh, p.WHh, y, s, [], [], [], [], new float[24], []));
        Assert.Contains("db_ih has 24 elements but needs 18", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GruWorkspace(4, 3, 5, -1));
    }
}
