using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Serialization;
using Xunit;
using static ResearchKit.Tests.Losses.LossTestUtil;

namespace ResearchKit.Tests.Models;

/// <summary>
/// EnResNet (Wang, Shi, Osher 2019): PyTorch parity of a noise-free member (fixtures of make_enresnet_fixtures.py), the
/// ensemble average, and the Feynman-Kac noise (statistics, determinism, evaluation mode, gradient of the std term).
/// </summary>
public class EnResNetTests
{
    /// <summary>The closed-form weights of make_enresnet_fixtures.py (its docstring is the specification).</summary>
    private static Tensor ClosedForm(string name, int[] shape, int p)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var v = new float[n];
        string leaf = name[(name.LastIndexOf('.') + 1)..];
        for (int i = 0; i < n; i++)
        {
            double z = Math.Sin(12.9898 * (i + 1) + 78.233 * (p + 1)) * 43758.5453;
            double u = 2 * (z - Math.Floor(z)) - 1;
            double w = shape.Length == 4 ? u * Math.Sqrt(3) * Math.Sqrt(2.0 / (shape[2] * shape[3] * shape[0]))
                : name.StartsWith("fc.", StringComparison.Ordinal) ? (leaf == "weight" ? u / 8 : 0.1 * u)
                : leaf switch { "weight" => 1 + 0.25 * u, "bias" => 0.2 * u, "running_mean" => 0.2 * u, "running_var" => 1 + 0.5 * u, _ => throw new InvalidOperationException(name) };
            v[i] = (float)w;
        }
        return Tensor.FromArray(v, shape);
    }

    private static Dictionary<string, Tensor> Fixture(int depth) =>
        SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "fixtures", $"enresnet_member{depth}.safetensors"));

    [Theory]
    [InlineData(8)]
    [InlineData(20)]
    public void NoiseFreeMember_MatchesPyTorch_ByParameterName(int depth)
    {
        var fx = Fixture(depth);
        var x = fx["in.x"];
        var model = new PreActResNetCifar(depth, 10, inChannels: x.Size(1), generator: new Generator(3));
        const string prefix = "shape.param.";
        var names = fx.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..]).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var state = model.StateDict();
        // Every PyTorch tensor (num_batches_tracked aside) exists here under the same name and shape, and nothing else does.
        Assert.Equal(names, state.Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal));
        var load = new Dictionary<string, Tensor>(state);
        for (int p = 0; p < names.Count; p++)
        {
            var shape = fx[prefix + names[p]].ToInt64Array().Select(d => (int)d).ToArray();
            Assert.Equal(shape, state[names[p]].Shape.ToArray());
            load[names[p]] = ClosedForm(names[p], shape, p);
        }
        model.LoadStateDict(load);

        model.Eval();
        using (Torch.NoGrad()) Close(fx["out.y_eval"], model.Forward(x), $"depth {depth} eval logits", rtol: 1e-4, atol: 1e-5);
        model.Train();
        using (Torch.NoGrad()) Close(fx["out.y_train"], model.Forward(x), $"depth {depth} train-mode logits", rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void StateDict_HasReferenceNames_AndHandCountedParameters()
    {
        // 432 stem + 3·4672 stage 1 + (14432 + 2·18560) stage 2 + (57536 + 2·73984) stage 3 + 128 bn + 650 fc.
        var member = new PreActResNetCifar(20, 10);
        Assert.Equal(272_282, member.ParameterCount());
        var keys = member.StateDict().Keys.ToList();
        Assert.Contains("layer2.0.downsample.0.weight", keys);
        Assert.DoesNotContain("layer1.0.downsample.0.weight", keys);
        Assert.Contains("bn.running_var", keys);
        Assert.Equal("fc.bias", keys[^1]);
        var ens = new EnResNet(2, 8, 10, inChannels: 1, generator: new Generator(1));
        Assert.Contains("ensemble.0.conv1.weight", ens.StateDict().Keys);
        Assert.Contains("ensemble.1.layer3.0.downsample.0.weight", ens.StateDict().Keys);
        Assert.Equal(2 * new PreActResNetCifar(8, 10, 1).ParameterCount(), ens.ParameterCount());
    }

    [Fact]
    public void Initialization_IsNormalWithReferenceStd_AndIndependentOfNoise()
    {
        var model = new PreActResNetCifar(20, 10, generator: new Generator(4));
        var w = model.NamedParameters().Single(p => p.Name == "layer3.1.conv1.weight").Parameter.ToArray();
        double mean = w.Average(v => (double)v), std = Math.Sqrt(w.Sum(v => (v - mean) * (v - mean)) / (w.Length - 1));
        Assert.InRange(std / Math.Sqrt(2.0 / (9 * 64)), 0.97, 1.03); // 36864 draws: the std's relative error is ~0.4 %
        var bn = model.NamedParameters().Single(p => p.Name == "layer2.0.bn1.weight").Parameter.ToArray();
        Assert.All(bn, v => Assert.Equal(1f, v));
        // The noise stream is seeded after the initialization, so the weights do not depend on the coefficient.
        var noisy = new PreActResNetCifar(20, 10, noiseCoef: 0.1f, generator: new Generator(4));
        foreach (var (k, v) in model.StateDict()) Assert.Equal(v.ToArray(), noisy.StateDict()[k].ToArray());
    }

    [Fact]
    public void OneMemberWithoutNoise_EqualsThatMember()
    {
        var ens = new EnResNet(1, 8, 10, inChannels: 1, noiseCoef: 0f, generator: new Generator(5));
        var member = new PreActResNetCifar(8, 10, 1);
        member.LoadStateDict(ens.StateDict().ToDictionary(kv => kv.Key["ensemble.0.".Length..], kv => kv.Value));
        var x = Tensor.Randn([3, 1, 28, 28], new Generator(6));
        ens.Eval(); member.Eval();
        using (Torch.NoGrad()) Assert.Equal(member.Forward(x).ToArray(), ens.Forward(x).ToArray());
    }

    [Fact]
    public void Ensemble_AveragesMemberLogits()
    {
        var ens = new EnResNet(3, 8, 10, inChannels: 3, noiseCoef: 0f, generator: new Generator(7));
        var x = Tensor.Randn([2, 3, 16, 16], new Generator(8));
        ens.Eval();
        using var _ = Torch.NoGrad();
        var logits = ens.Members.Select(m => m.Forward(x).ToArray()).ToList();
        Assert.NotEqual(logits[0], logits[1]); // members are initialized differently
        var mean = Enumerable.Range(0, logits[0].Length).Select(i => (logits[0][i] + logits[1][i] + logits[2][i]) / 3f).ToArray();
        Close(Tensor.FromArray(mean, 2, 10), ens.Forward(x), "ensemble logits", rtol: 1e-6, atol: 1e-6);
    }

    [Fact]
    public void Noise_HasStdCoefTimesStdOfClean_AndZeroMean()
    {
        const float coef = 0.1f;
        var x = Tensor.Randn([64, 16, 16, 16], new Generator(9)) * 3f + 1f; // 262144 elements
        var layer = new FeynmanKacNoise(coef, new Generator(10));
        Tensor d;
        using (Torch.NoGrad()) d = layer.Forward(x) - x;
        double sx = x.Std().Item(), sd = d.Std().Item(), md = d.Mean().Item();
        Assert.InRange(sd / (coef * sx), 0.98, 1.02);
        Assert.InRange(md, -5 * sd / Math.Sqrt(d.Numel), 5 * sd / Math.Sqrt(d.Numel)); // 5 standard errors

        // Inside a block: noisy output − clean output of the same weights has std ≈ coef · std(clean output).
        var clean = new PreActBasicBlock(16, 32, 2, noiseCoef: 0f, generator: new Generator(11));
        var noisy = new PreActBasicBlock(16, 32, 2, noiseCoef: coef, noiseGenerator: new Generator(12));
        noisy.LoadStateDict(clean.StateDict());
        clean.Eval(); noisy.Eval();
        var input = Tensor.Randn([64, 16, 16, 16], new Generator(13));
        using (Torch.NoGrad())
        {
            var c = clean.Forward(input);
            var diff = noisy.Forward(input) - c;
            Assert.InRange(diff.Std().Item() / (coef * c.Std().Item()), 0.97, 1.03);
            Assert.InRange(diff.Mean().Item() / diff.Std().Item(), -0.02, 0.02);
        }
    }

    [Fact]
    public void Noise_IsSeeded_AndPresentInEvalOnlyWithAtInference()
    {
        var x = Tensor.Randn([2, 3, 16, 16], new Generator(14));
        float[] Run(long initSeed, long noiseSeed, bool eval = true, bool atInference = true)
        {
            var m = new PreActResNetCifar(8, 10, 3, noiseCoef: 0.1f, generator: new Generator(initSeed), noiseGenerator: new Generator(noiseSeed));
            m.SetNoiseAtInference(atInference);
            m.Train(!eval);
            using (Torch.NoGrad()) return m.Forward(x).ToArray();
        }
        var clean = new PreActResNetCifar(8, 10, 3, noiseCoef: 0f, generator: new Generator(15));
        clean.Eval();
        float[] cleanOut;
        using (Torch.NoGrad()) cleanOut = clean.Forward(x).ToArray();

        Assert.Equal(Run(15, 1), Run(15, 1));
        Assert.NotEqual(Run(15, 1), Run(15, 2));
        Assert.NotEqual(cleanOut, Run(15, 1));                    // noise in evaluation by default (the reference code)
        Assert.Equal(cleanOut, Run(15, 1, atInference: false));   // deterministic evaluation when switched off
        Assert.NotEqual(Run(15, 1, eval: false, atInference: false), Run(15, 2, eval: false, atInference: false)); // training always draws

        // Ensembles: the same generator seed gives the same weights and the same noise; another seed another output.
        var a = new EnResNet(2, 8, 10, 3, 0.1f, new Generator(16));
        var b = new EnResNet(2, 8, 10, 3, 0.1f, new Generator(16));
        var c = new EnResNet(2, 8, 10, 3, 0.1f, new Generator(17));
        a.Eval(); b.Eval(); c.Eval();
        using (Torch.NoGrad())
        {
            var ya = a.Forward(x).ToArray();
            Assert.Equal(ya, b.Forward(x).ToArray());
            Assert.NotEqual(ya, c.Forward(x).ToArray());
            Assert.NotEqual(ya, a.Forward(x).ToArray()); // a second pass draws new noise
        }
    }

    [Fact]
    public void ZeroCoefficient_IsIdentity_AndDrawsNothing()
    {
        var g = new Generator(18);
        var state = g.GetState();
        var layer = new FeynmanKacNoise(0f, g);
        var x = Tensor.Randn([4, 5], new Generator(19));
        Assert.Same(x, layer.Forward(x));
        Assert.Equal(state, g.GetState());
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeynmanKacNoise(-0.1f));
        Assert.Throws<ArgumentException>(() => new FeynmanKacNoise(0.1f).Forward(Tensor.Ones(1)));
        Assert.Throws<ArgumentException>(() => new EnResNet(0));
        Assert.Throws<ArgumentException>(() => new PreActResNetCifar(21));
    }

    [Fact]
    public void NoiseGradient_IncludesTheStdTerm_MatchingFiniteDifferences()
    {
        // A fixed draw (a fresh generator per evaluation) makes the noisy layer a fixed function of x: x + c·std(x)·ε.
        const float coef = 0.5f;
        var x = Tensor.Randn([3, 4], new Generator(20)).RequiresGrad_();
        var w = Tensor.Randn([3, 4], new Generator(21));
        Tensor Objective(Tensor input) => (new FeynmanKacNoise(coef, new Generator(22)).Forward(input) * w).Sum();
        Objective(x).Backward();
        var analytic = x.Grad!.ToArray();
        GradMatches(NumericGrad(() => Objective(x).Item(), x, 1e-2f), analytic, "d/dx of FeynmanKacNoise");
        // Without the std term the gradient would be w; the difference is far above the check's 0.2 % tolerance.
        var wv = w.ToArray();
        double gap = analytic.Zip(wv, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(gap > 0.05 * analytic.Max(v => Math.Abs(v)), $"the std term contributes only {gap:G3} to the gradient");
    }
}
