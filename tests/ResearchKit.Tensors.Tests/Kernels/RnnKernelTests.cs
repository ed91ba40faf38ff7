using ResearchKit.Tensors.Kernels;
using Xunit;
using static ResearchKit.Tensors.Tests.Kernels.RecurrentTestUtil;

namespace ResearchKit.Tensors.Tests.Kernels;

public class RnnKernelTests
{
    /// <summary>One Elman RNN problem: sizes, activation, inputs and PyTorch-layout parameters (empty bias = bias=False).</summary>
    private sealed class Problem
    {
        public int T, B, I, H;
        public RnnNonlinearity Act;
        public float[] X = [], H0 = [], WIh = [], WHh = [], BIh = [], BHh = [];

        public static Problem Create(int seed, int t, int b, int i, int h, bool bias, RnnNonlinearity act, bool state = true)
        {
            var rng = new Random(seed);
            return new Problem
            {
                T = t, B = b, I = i, H = h, Act = act,
                X = Random(rng, t * b * i, 1.0),
                H0 = state ? Random(rng, b * h) : [],
                WIh = Random(rng, h * i),
                WHh = Random(rng, h * h),
                BIh = bias ? Random(rng, h) : [],
                BHh = bias ? Random(rng, h) : [],
            };
        }

        public (float[] Y, float[] HN) Forward(RnnWorkspace ws)
        {
            var y = new float[T * B * H];
            var hN = new float[B * H];
            RnnKernel.Forward(ws, Act, X, H0, WIh, WHh, BIh, BHh, y, hN);
            return (y, hN);
        }

        /// <summary>Naive per-step, per-unit Elman RNN in double.</summary>
        public (double[] Y, double[] HN) Reference()
        {
            var y = new double[T * B * H];
            var hN = new double[B * H];
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
                        double pre = Row(WIh, j, I, xt) + Row(WHh, j, H, h) + (BIh.Length != 0 ? (double)BIh[j] + BHh[j] : 0);
                        hNew[j] = Act == RnnNonlinearity.Tanh ? Math.Tanh(pre) : Math.Max(pre, 0);
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
    [InlineData(1, 4, 3, 5, 6, true, RnnNonlinearity.Tanh)]
    [InlineData(2, 4, 3, 5, 6, false, RnnNonlinearity.Relu)]
    [InlineData(3, 3, 2, 7, 25, true, RnnNonlinearity.Relu)]
    [InlineData(4, 1, 1, 1, 1, true, RnnNonlinearity.Tanh)]
    [InlineData(5, 6, 5, 3, 40, false, RnnNonlinearity.Tanh)]
    public void Forward_MatchesDoubleReference(int seed, int t, int b, int i, int h, bool bias, RnnNonlinearity act)
    {
        var p = Problem.Create(seed, t, b, i, h, bias, act);
        var (y, hN) = p.Forward(new RnnWorkspace(t, b, i, h));
        var (ry, rh) = p.Reference();
        AssertClose(ry, y, 2e-6, 1e-5, "y");
        AssertClose(rh, hN, 2e-6, 1e-5, "h_n");
    }

    [Fact]
    public void Forward_EmptyInitialStateMeansZerosAndWorkspaceIsReusable()
    {
        var p = Problem.Create(7, 3, 2, 4, 5, true, RnnNonlinearity.Tanh, state: false);
        var ws = new RnnWorkspace(3, 2, 4, 5);
        Problem.Create(70, 3, 2, 4, 5, false, RnnNonlinearity.Relu).Forward(ws);
        var (y, hN) = p.Forward(ws);
        Assert.Equal(RnnNonlinearity.Tanh, ws.Nonlinearity);
        p.H0 = new float[10];
        var (y2, hN2) = p.Forward(new RnnWorkspace(3, 2, 4, 5));
        Assert.Equal(y2, y);
        Assert.Equal(hN2, hN);
    }

    [Theory]
    [InlineData(11, 4, 3, 5, 6, true, RnnNonlinearity.Tanh)]
    [InlineData(12, 4, 3, 5, 6, false, RnnNonlinearity.Tanh)]
    [InlineData(13, 4, 3, 5, 6, true, RnnNonlinearity.Relu)]
    [InlineData(14, 3, 2, 3, 25, true, RnnNonlinearity.Relu)]
    [InlineData(15, 3, 2, 3, 25, false, RnnNonlinearity.Tanh)]
    public void Backward_MatchesFiniteDifferences(int seed, int t, int b, int i, int h, bool bias, RnnNonlinearity act)
    {
        var p = Problem.Create(seed, t, b, i, h, bias, act);
        var rng = new Random(seed + 1000);
        float[] wy = Random(rng, t * b * h, 1.0), wh = Random(rng, b * h, 1.0);
        var ws = new RnnWorkspace(t, b, i, h);
        double Loss()
        {
            var (y, hN) = p.Forward(ws);
            return Dot(y, wy) + Dot(hN, wh);
        }

        double ReferenceLoss()
        {
            var (y, hN) = p.Reference();
            double s = 0;
            for (int k = 0; k < y.Length; k++) s += y[k] * wy[k];
            for (int k = 0; k < hN.Length; k++) s += hN[k] * wh[k];
            return s;
        }

        Loss();
        float[] dx = new float[t * b * i], dh0 = new float[b * h];
        float[] dWih = new float[h * i], dWhh = new float[h * h], dbIh = new float[h], dbHh = new float[h];
        RnnKernel.Backward(ws, p.X, p.WIh, p.WHh, wy, wh, dx, dh0, dWih, dWhh, dbIh, dbHh);

        const double atol = 1e-3, rtol = 1e-3;
        // ReLU has kinks that a ±1e-3 probe of a float forward can straddle; there, differentiate the double
        // reference (validated against the kernel above) with a 1e-5 step instead, which practically never does.
        bool relu = act == RnnNonlinearity.Relu;
        Func<double> fdLoss = relu ? ReferenceLoss : Loss;
        float eps = relu ? 1e-5f : 1e-3f;
        AssertClose(FiniteDifference(fdLoss, p.X, eps), dx, atol, rtol, "dx");
        AssertClose(FiniteDifference(fdLoss, p.H0, eps), dh0, atol, rtol, "dh0");
        AssertClose(FiniteDifference(fdLoss, p.WIh, eps), dWih, atol, rtol, "dW_ih");
        AssertClose(FiniteDifference(fdLoss, p.WHh, eps), dWhh, atol, rtol, "dW_hh");
        if (!bias)
        {
            p.BIh = new float[h];
            p.BHh = new float[h];
            Loss();
        }
        AssertClose(FiniteDifference(fdLoss, p.BIh, eps), dbIh, atol, rtol, "db_ih");
        AssertClose(FiniteDifference(fdLoss, p.BHh, eps), dbHh, atol, rtol, "db_hh");
        Assert.Equal(dbIh, dbHh);
    }

    [Fact]
    public void Relu_GradientAtZeroIsZeroLikePyTorch()
    {
        // Zero weights and no bias: every pre-activation is exactly 0, so ReLU outputs 0 and passes no gradient.
        var ws = new RnnWorkspace(2, 1, 2, 3);
        float[] x = [1f, 2f, 3f, 4f], wIh = new float[6], wHh = new float[9], y = new float[6];
        RnnKernel.Forward(ws, RnnNonlinearity.Relu, x, [], wIh, wHh, [], [], y, []);
        Assert.All(y, v => Assert.Equal(0f, v));
        float[] dWih = new float[6], dh0 = new float[3];
        RnnKernel.Backward(ws, x, wIh, wHh, [1f, 1f, 1f, 1f, 1f, 1f], [], [], dh0, dWih, [], [], []);
        Assert.All(dWih, v => Assert.Equal(0f, v));
        Assert.All(dh0, v => Assert.Equal(0f, v));

        // Tanh at 0 has slope 1: dW_ih[j, k] = Σ_t x_t[k] · dy_t[j] for the last step only (earlier steps feed W_hh = 0).
        RnnKernel.Forward(ws, RnnNonlinearity.Tanh, x, [], wIh, wHh, [], [], y, []);
        RnnKernel.Backward(ws, x, wIh, wHh, [0f, 0f, 0f, 1f, 2f, 3f], [], [], [], dWih, [], [], []);
        Assert.Equal([3f, 4f, 6f, 8f, 9f, 12f], dWih);
    }

    [Fact]
    public void Backward_EmptyUpstreamGradientsEqualExplicitZerosAndOutputsAreOptional()
    {
        var p = Problem.Create(21, 4, 3, 5, 6, true, RnnNonlinearity.Tanh);
        var ws = new RnnWorkspace(4, 3, 5, 6);
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
        var dWhh = new float[36];
        RnnKernel.Backward(ws, p.X, p.WIh, p.WHh, dy, dhN, [], [], [], dWhh, [], []);
        Assert.Equal(full[3], dWhh);
    }

    /// <summary>Runs backward with every output requested: dx, dh0, dW_ih, dW_hh, db_ih, db_hh (pre-filled with NaN).</summary>
    private static float[][] Grads(RnnWorkspace ws, Problem p, float[] dy, float[] dhN)
    {
        float[][] r = [new float[p.T * p.B * p.I], new float[p.B * p.H], new float[p.H * p.I], new float[p.H * p.H], new float[p.H], new float[p.H]];
        foreach (var a in r) Array.Fill(a, float.NaN);
        RnnKernel.Backward(ws, p.X, p.WIh, p.WHh, dy, dhN, r[0], r[1], r[2], r[3], r[4], r[5]);
        return r;
    }

    [Fact]
    public void Errors_NameTheOpTheSpanAndTheExpectedSize()
    {
        var p = Problem.Create(41, 4, 3, 5, 6, true, RnnNonlinearity.Tanh);
        var ws = new RnnWorkspace(4, 3, 5, 6);
        float[] y = new float[72], s = new float[18];

        var ex = Assert.Throws<ArgumentException>(() => RnnKernel.Forward(ws, RnnNonlinearity.Tanh, p.X, p.H0, p.WIh, new float[35], p.BIh, p.BHh, y, s));
        Assert.Contains("RnnKernel.Forward: W_hh has 35 elements but needs 36", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => RnnKernel.Forward(ws, (RnnNonlinearity)7, p.X, p.H0, p.WIh, p.WHh, p.BIh, p.BHh, y, s));
        Assert.Contains("unknown nonlinearity 7", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => RnnKernel.Forward(ws, RnnNonlinearity.Relu, p.X, p.H0, p.WIh, p.WHh, [], p.BHh, y, s));
        Assert.Contains("pass both biases", ex.Message);

        var inv = Assert.Throws<InvalidOperationException>(() => RnnKernel.Backward(ws, p.X, p.WIh, p.WHh, y, s, [], [], [], [], [], []));
        Assert.Contains("call RnnKernel.Forward", inv.Message);
        p.Forward(ws);
        ex = Assert.Throws<ArgumentException>(() => RnnKernel.Backward(ws, new float[50], p.WIh, p.WHh, y, s, [], [], [], [], [], []));
        Assert.Contains("RnnKernel.Backward: x has 50 elements but needs 60", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => RnnKernel.Backward(ws, p.X, p.WIh, p.WHh, y, s, [], [], new float[31], [], [], []));
        Assert.Contains("dW_ih has 31 elements but needs 30", ex.Message);
    }
}
