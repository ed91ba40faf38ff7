using ResearchKit.Attacks;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using static ResearchKit.Tests.Attacks.AttackTestUtil;

namespace ResearchKit.Tests.Attacks;

/// <summary>
/// Expectation over transformation (<see cref="GradientAttack.EotSamples"/>): on a deterministic model it changes nothing
/// but the query count; on a randomized model the gradient is the mean of the per-pass gradients and varies less across
/// noise seeds; its config key appears only when it is on; bad values are refused.
/// </summary>
public class EotTests
{
    /// <summary>Exposes the protected ascent gradient.</summary>
    private sealed class Probe(Module<Tensor, Tensor> model) : GradientAttack(model, ThreatModel.Thesis)
    {
        public override string Name => "probe";
        protected override IEnumerable<KeyValuePair<string, object?>> Settings() => [];
        protected override Tensor Run(Tensor inputs, Tensor labels) => inputs;
        public Tensor Gradient(Tensor x, Tensor y) => AscentGradient(x, y);
    }

    /// <summary>A randomized model (as EnResNet's noise at inference): inner(x + σ·N(0, 1)), noise from a seeded generator.</summary>
    private sealed class NoisyInput : Module<Tensor, Tensor>
    {
        private readonly Generator _g;
        public NoisyInput(Module<Tensor, Tensor> inner, long seed) { RegisterModule("inner", inner); _g = new Generator(seed); }
        protected override Tensor ForwardCore(Tensor input) =>
            Child<Module<Tensor, Tensor>>("inner").Forward(input + 0.3f * Tensor.Randn(input.Shape.ToArray(), _g));
    }

    [Fact]
    public void DeterministicModel_SameGradient_ThreeTimesTheQueries()
    {
        var model = SmallCnn(seed: 3);
        var (x, y) = Batch(4, 30);
        var one = new Probe(model);
        var three = new Probe(model) { EotSamples = 3 };
        var g1 = one.Gradient(x, y);
        var g3 = three.Gradient(x, y);
        Assert.True(g1.Abs().Max().Item() > 0);
        Assert.True(MaxAbsDiff(g1, g3) <= 1e-6f * g1.Abs().Max().Item(), "EOT over a deterministic model changed the gradient");
        Assert.Equal(4, one.Queries);
        Assert.Equal(12, three.Queries);

        var pgd1 = new Pgd(model, ThreatModel.Thesis, steps: 3);
        var pgd3 = new Pgd(model, ThreatModel.Thesis, steps: 3) { EotSamples = 3 };
        Assert.Equal(pgd1.Perturb(x, y).ToArray(), pgd3.Perturb(x, y).ToArray());
        Assert.Equal(3 * pgd1.Queries, pgd3.Queries);
    }

    [Fact]
    public void CarliniWagner_AveragesItsLoss_DeterministicModelUnchanged()
    {
        var model = SmallCnn(seed: 4);
        var (x, y) = Batch(3, 40);
        var cw1 = new CarliniWagnerL2(model, ThreatModel.Thesis, steps: 5, binarySearchSteps: 2, initialConst: 1f);
        var cw2 = new CarliniWagnerL2(model, ThreatModel.Thesis, steps: 5, binarySearchSteps: 2, initialConst: 1f) { EotSamples = 2 };
        Assert.Equal(cw1.Perturb(x, y).ToArray(), cw2.Perturb(x, y).ToArray());
        Assert.Equal(2 * cw1.Queries, cw2.Queries);
    }

    [Fact]
    public void RandomizedModel_EotGradientIsTheMeanOfThePerPassGradients()
    {
        var (x, y) = Batch(4, 50);
        var eot = new Probe(new NoisyInput(SmallCnn(seed: 5), seed: 77)) { EotSamples = 3 }.Gradient(x, y);
        // The same noise sequence, one pass at a time.
        var single = new Probe(new NoisyInput(SmallCnn(seed: 5), seed: 77));
        var passes = Enumerable.Range(0, 3).Select(_ => single.Gradient(x, y)).ToList();
        Assert.True(MaxAbsDiff(passes[0], passes[1]) > 1e-4f, "the noise does not change the gradient; the test would be vacuous");
        var mean = (passes[0] + passes[1] + passes[2]) * (1f / 3);
        Assert.True(MaxAbsDiff(mean, eot) <= 1e-6f * mean.Abs().Max().Item() + 1e-9f);
        Assert.Equal(12, single.Queries); // three single passes of 4 inputs, as the one EOT-3 gradient
    }

    [Fact]
    public void RandomizedModel_EotGradientVariesLessAcrossNoiseSeeds()
    {
        var (x, y) = Batch(4, 60);
        double Spread(int samples)
        {
            var grads = Enumerable.Range(0, 16)
                .Select(s => new Probe(new NoisyInput(SmallCnn(seed: 6), seed: 100 + s)) { EotSamples = samples }.Gradient(x, y).ToArray()).ToList();
            double total = 0;
            for (int i = 0; i < grads[0].Length; i++)
            {
                double m = grads.Average(g => (double)g[i]);
                total += grads.Average(g => (g[i] - m) * (g[i] - m));
            }
            return total;
        }
        double v1 = Spread(1), v8 = Spread(8);
        Assert.True(v1 > 0);
        Assert.True(v8 < 0.5 * v1, $"EOT-8 variance {v8:G3} is not well below the single-pass variance {v1:G3} (expected about 1/8)");
    }

    [Fact]
    public void Config_HasEotOnlyWhenOn_AndBadValuesAreRefused()
    {
        var model = SmallCnn();
        Assert.False(new Pgd(model, ThreatModel.Thesis).Config.ContainsKey("eot_samples"));
        Assert.False(new Pgd(model, ThreatModel.Thesis) { EotSamples = 1 }.Config.ContainsKey("eot_samples"));
        Assert.Equal(5, new Pgd(model, ThreatModel.Thesis) { EotSamples = 5 }.Config["eot_samples"]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Fgsm(model, ThreatModel.Thesis) { EotSamples = 0 });
        Assert.Contains("EotSamples must be ≥ 1", e.Message);
    }
}
