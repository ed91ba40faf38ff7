using ResearchKit.Tensors.Optim;
using Xunit;

namespace ResearchKit.Tensors.Tests.Optim;

/// <summary>
/// Variants the fixtures do not cover (AMSGrad, maximize, centered RMSprop, dampening, Nesterov): three steps checked
/// against (a) a plain double-precision implementation of PyTorch's documented formulas and (b) values printed by
/// PyTorch 1.13 for the same inputs (bit-exact).
/// </summary>
public class OptimizerVariantTests
{
    private static readonly double[] P0 = [0.5, -1.25, 2.0, 0.1, -0.3];
    private static readonly double[][] Grads =
    [
        [0.3, -0.7, 1.1, -0.05, 0.8],
        [-0.02, 0.04, 0.09, 0.6, -0.01],
        [0.1, 0.1, -1.5, 0.2, 0.005],
    ];

    // PyTorch 1.13: p = nn.Parameter(torch.tensor(P0)); three steps with the gradients above; print(p).
    private static readonly Dictionary<string, float[]> Torch = new()
    {
        ["adam_amsgrad"] = [0.29157466f, -1.062883f, 1.8503753f, 0.08340868f, -0.4956765f],
        ["adam_plain_b05"] = [0.23408362f, -1.010388f, 1.8246012f, 0.06753419f, -0.55795467f],
        ["adam_maximize"] = [0.7238255f, -1.4471285f, 2.1516025f, 0.13880432f, -0.082016386f],
        ["adamw_amsgrad_max"] = [0.6892218f, -1.3947271f, 2.0851436f, 0.114758335f, -0.0971476f],
        ["sgd_dampening"] = [0.41357756f, -1.0640347f, 1.7602456f, 0.046139725f, -0.51470095f],
        ["sgd_maximize_nesterov"] = [0.61675f, -1.46089f, 2.11768f, 0.28340504f, -0.026640026f],
        ["sgd_plain"] = [0.462f, -1.1939999f, 2.0310001f, 0.025f, -0.37950003f],
        ["rms_centered"] = [0.45633155f, -1.2224264f, 1.9894127f, 0.08910218f, -0.33282673f],
        ["rms_centered_momentum"] = [0.411091f, -1.1772974f, 1.9399703f, 0.11077976f, -0.3807772f],
        ["rms_maximize"] = [0.6251604f, -1.3300073f, 2.027367f, 0.13132651f, -0.20062496f],
    };

    private static Optimizer Make(string name, Tensor p) => name switch
    {
        "adam_amsgrad" => new Adam([p], lr: 0.1, betas: (0.9, 0.5), weightDecay: 0.01, amsgrad: true),
        "adam_plain_b05" => new Adam([p], lr: 0.1, betas: (0.9, 0.5), weightDecay: 0.01),
        "adam_maximize" => new Adam([p], lr: 0.1, weightDecay: 0.01, maximize: true),
        "adamw_amsgrad_max" => new AdamW([p], lr: 0.1, betas: (0.9, 0.5), weightDecay: 0.1, amsgrad: true, maximize: true),
        "sgd_dampening" => new Sgd([p], lr: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.01),
        "sgd_maximize_nesterov" => new Sgd([p], lr: 0.1, momentum: 0.9, nesterov: true, maximize: true),
        "sgd_plain" => new Sgd([p], lr: 0.1),
        "rms_centered" => new RmsProp([p], lr: 0.01, alpha: 0.9, weightDecay: 0.01, centered: true),
        "rms_centered_momentum" => new RmsProp([p], lr: 0.01, alpha: 0.9, momentum: 0.8, centered: true),
        "rms_maximize" => new RmsProp([p], lr: 0.01, maximize: true),
        _ => throw new ArgumentException(name),
    };

    private static double[] Reference(string name) => name switch
    {
        "adam_amsgrad" => RefAdam(0.1, 0.9, 0.5, 1e-8, 0.01, amsgrad: true, maximize: false, decoupled: false),
        "adam_plain_b05" => RefAdam(0.1, 0.9, 0.5, 1e-8, 0.01, amsgrad: false, maximize: false, decoupled: false),
        "adam_maximize" => RefAdam(0.1, 0.9, 0.999, 1e-8, 0.01, amsgrad: false, maximize: true, decoupled: false),
        "adamw_amsgrad_max" => RefAdam(0.1, 0.9, 0.5, 1e-8, 0.1, amsgrad: true, maximize: true, decoupled: true),
        "sgd_dampening" => RefSgd(0.1, 0.9, 0.5, 0.01, nesterov: false, maximize: false),
        "sgd_maximize_nesterov" => RefSgd(0.1, 0.9, 0, 0, nesterov: true, maximize: true),
        "sgd_plain" => RefSgd(0.1, 0, 0, 0, nesterov: false, maximize: false),
        "rms_centered" => RefRms(0.01, 0.9, 1e-8, 0.01, 0, centered: true, maximize: false),
        "rms_centered_momentum" => RefRms(0.01, 0.9, 1e-8, 0, 0.8, centered: true, maximize: false),
        "rms_maximize" => RefRms(0.01, 0.99, 1e-8, 0, 0, centered: false, maximize: true),
        _ => throw new ArgumentException(name),
    };

    // ── straightforward double-precision references (PyTorch 1.13 docs) ──

    private static double[] RefAdam(double lr, double b1, double b2, double eps, double wd, bool amsgrad, bool maximize, bool decoupled)
    {
        var p = (double[])P0.Clone();
        var m = new double[p.Length]; var v = new double[p.Length]; var vmax = new double[p.Length];
        for (int t = 1; t <= Grads.Length; t++)
            for (int i = 0; i < p.Length; i++)
            {
                double g = maximize ? -Grads[t - 1][i] : Grads[t - 1][i];
                if (decoupled) p[i] *= 1 - lr * wd; else g += wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                vmax[i] = Math.Max(vmax[i], v[i]);
                double vhat = amsgrad ? vmax[i] : v[i];
                p[i] -= lr / (1 - Math.Pow(b1, t)) * m[i] / (Math.Sqrt(vhat) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps);
            }
        return p;
    }

    private static double[] RefSgd(double lr, double mu, double dampening, double wd, bool nesterov, bool maximize)
    {
        var p = (double[])P0.Clone();
        var buf = new double[p.Length];
        for (int t = 1; t <= Grads.Length; t++)
            for (int i = 0; i < p.Length; i++)
            {
                double d = (maximize ? -Grads[t - 1][i] : Grads[t - 1][i]) + wd * p[i];
                if (mu != 0)
                {
                    buf[i] = t == 1 ? d : mu * buf[i] + (1 - dampening) * d; // no dampening on the first step
                    d = nesterov ? d + mu * buf[i] : buf[i];
                }
                p[i] -= lr * d;
            }
        return p;
    }

    private static double[] RefRms(double lr, double alpha, double eps, double wd, double mu, bool centered, bool maximize)
    {
        var p = (double[])P0.Clone();
        var sq = new double[p.Length]; var ga = new double[p.Length]; var buf = new double[p.Length];
        for (int t = 1; t <= Grads.Length; t++)
            for (int i = 0; i < p.Length; i++)
            {
                double g = (maximize ? -Grads[t - 1][i] : Grads[t - 1][i]) + wd * p[i];
                sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
                double var = sq[i];
                if (centered) { ga[i] = alpha * ga[i] + (1 - alpha) * g; var -= ga[i] * ga[i]; }
                double avg = Math.Sqrt(var) + eps;
                if (mu > 0) { buf[i] = mu * buf[i] + g / avg; p[i] -= lr * buf[i]; }
                else p[i] -= lr * g / avg;
            }
        return p;
    }

    private static float[] RunOurs(string name)
    {
        var p = Tensor.FromArray(Array.ConvertAll(P0, x => (float)x), P0.Length).RequiresGrad_();
        var opt = Make(name, p);
        foreach (var g in Grads)
        {
            p.Grad = Tensor.FromArray(Array.ConvertAll(g, x => (float)x), g.Length);
            opt.Step();
        }
        return p.ToArray();
    }

    [Theory]
    [InlineData("adam_amsgrad")]
    [InlineData("adam_plain_b05")]
    [InlineData("adam_maximize")]
    [InlineData("adamw_amsgrad_max")]
    [InlineData("sgd_dampening")]
    [InlineData("sgd_maximize_nesterov")]
    [InlineData("sgd_plain")]
    [InlineData("rms_centered")]
    [InlineData("rms_centered_momentum")]
    [InlineData("rms_maximize")]
    public void MatchesReferenceAndPyTorch(string name)
    {
        var ours = RunOurs(name);
        var reference = Reference(name);
        for (int i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - reference[i]) <= 1e-6 + 1e-5 * Math.Abs(reference[i]), $"{name}[{i}]: {ours[i]} vs double reference {reference[i]}");
        Assert.Equal(Torch[name], ours); // bit-exact with PyTorch 1.13
    }

    [Fact]
    public void AmsgradAndMaximizeChangeTheResult()
    {
        // Guards against the flags being ignored: β2 = 0.5 with shrinking gradients makes v decrease, so AMSGrad's max matters.
        Assert.NotEqual(RunOurs("adam_plain_b05"), RunOurs("adam_amsgrad"));
        var plain = RefAdam(0.1, 0.9, 0.999, 1e-8, 0.01, amsgrad: false, maximize: false, decoupled: false);
        var max = RunOurs("adam_maximize");
        for (int i = 0; i < P0.Length; i++) Assert.True(Math.Sign(max[i] - P0[i]) != Math.Sign(plain[i] - P0[i]), $"maximize should move element {i} the other way");
    }

    [Fact]
    public void SgdFirstStepIgnoresDampening()
    {
        var p = Tensor.FromArray([1f, -2f], 2).RequiresGrad_();
        var opt = new Sgd([p], lr: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.25);
        p.Grad = Tensor.FromArray([0.5f, 0.5f], 2);
        opt.Step();
        // buf = g + wd·p = (0.75, 0), not (1 − dampening)·(…): PyTorch clones d_p on the first step.
        Assert.Equal(new[] { 0.75f, 0f }, opt.GetState(p)!["momentum_buffer"]!.ToArray());
        Assert.Equal(new[] { 1f - 0.075f, -2f }, p.ToArray());
        p.Grad = Tensor.FromArray([1f, 0f], 2);
        opt.Step();
        // buf = 0.9·0.75 + 0.5·(1 + 0.25·0.925) = 1.290625; second element: 0.9·0 + 0.5·(0 + 0.25·(−2)) = −0.25.
        AssertClose.Equal(new[] { 1.290625f, -0.25f }, opt.GetState(p)!["momentum_buffer"]!.ToArray(), 1e-6, 1e-7, "buf");
    }

    [Fact]
    public void SimdAndScalarPathsAgreeBitForBit()
    {
        // 37 elements: two 16-lane blocks + a 5-element tail; versus 37 one-element parameters (scalar path only).
        var rng = new Random(7);
        const int n = 37;
        float[] Rand() { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1); return a; }
        var init = Rand(); var g1 = Rand(); var g2 = Rand();
        foreach (var kind in new[] { "adam", "adamw", "sgd", "rms" })
        {
            var big = Tensor.FromArray((float[])init.Clone(), n).RequiresGrad_();
            var small = new Tensor[n];
            for (int i = 0; i < n; i++) small[i] = Tensor.FromArray([init[i]], 1).RequiresGrad_();
            Optimizer Mk(IEnumerable<Tensor> ps) => kind switch
            {
                "adam" => new Adam(ps, lr: 0.05, weightDecay: 0.1, amsgrad: true),
                "adamw" => new AdamW(ps, lr: 0.05, maximize: true),
                "sgd" => new Sgd(ps, lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true),
                _ => new RmsProp(ps, lr: 0.01, weightDecay: 0.01, momentum: 0.5, centered: true),
            };
            var ob = Mk([big]); var os = Mk(small);
            foreach (var g in new[] { g1, g2 })
            {
                big.Grad = Tensor.FromArray((float[])g.Clone(), n);
                for (int i = 0; i < n; i++) small[i].Grad = Tensor.FromArray([g[i]], 1);
                ob.Step(); os.Step();
            }
            var b = big.ToArray();
            for (int i = 0; i < n; i++) Assert.Equal(b[i], small[i].ToArray()[0]);
        }
    }
}
