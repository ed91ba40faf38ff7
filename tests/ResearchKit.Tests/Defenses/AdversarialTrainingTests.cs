using ResearchKit.Attacks;
using ResearchKit.Defenses;
using ResearchKit.Losses;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using Xunit;
using static ResearchKit.Tests.Attacks.AttackTestUtil;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Defenses;

/// <summary>
/// <see cref="AdversarialTraining"/>: crafted examples stay in the threat model; each objective's loss is its definition
/// on the crafted batch; no gradient leaks from crafting into the parameters; only the training passes move batch-norm
/// statistics; same seed → same numbers; and on a toy problem with non-robust features it yields a robust model where
/// natural training does not.
/// </summary>
public class AdversarialTrainingTests
{
    public static TheoryData<int> Seeds => new() { 1, 2, 3, 4, 5, 6 };

    private static readonly AdversarialObjective[] Objectives = [AdversarialObjective.Madry, AdversarialObjective.TradeOff, AdversarialObjective.Trades];

    /// <summary>Conv → BatchNorm → ReLU → Linear on 3×8×8 inputs, 5 classes.</summary>
    private static Sequential BnCnn(long seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Conv2d(3, 4, 3, padding: 1, generator: g), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(4 * 8 * 8, 5, generator: g));
    }

    private static AdversarialTrainingOptions Quick(AdversarialObjective o, long seed = 0) =>
        new() { Objective = o, Steps = 3, Epsilon = 0.05f, StepSize = 0.02f, Seed = seed, NaturalWeight = 0.3, Beta = 2 };

    [Theory, MemberData(nameof(Seeds))]
    public void CraftedExamples_StayInTheEpsBallAndTheUnitBox(int seed)
    {
        var rng = new Random(seed);
        var (x, y) = Batch(1 + rng.Next(6), 500 + seed);
        // Some inputs on the box's faces, where the random start would leave it.
        x = (x * 1.4f - 0.2f).Clamp(0f, 1f);
        var model = SmallCnn(seed: seed);
        foreach (var o in Objectives)
        {
            var opts = Quick(o, seed) with { Epsilon = (float)rng.NextDouble() * 0.2f, StepSize = 0.05f };
            var at = new AdversarialTraining(model, opts);
            InsideThreat(x, at.Craft(x, y), opts.Threat, $"{o} seed {seed}");
        }
    }

    [Fact]
    public void Madry_LossIsCrossEntropyOnTheCraftedBatch_AndLogitsAreItsLogits()
    {
        var model = SmallCnn(seed: 7);
        var (x, y) = Batch(5, 70);
        var (loss, logits) = new AdversarialTraining(model, Quick(AdversarialObjective.Madry, 3)).Forward(x, y);
        var xAdv = new AdversarialTraining(model, Quick(AdversarialObjective.Madry, 3)).Craft(x, y);
        Assert.True(MaxAbsDiff(x, xAdv) > 0.01f, "nothing was crafted");
        var want = model.Forward(xAdv);
        Assert.Equal(F.CrossEntropy(want, y).Item(), loss.Item(), 6);
        Assert.Equal(want.ToArray(), logits!.ToArray());
    }

    [Fact]
    public void TradeOff_WeightOne_IsTheCleanCrossEntropy_WeightZero_IsMadry()
    {
        var model = SmallCnn(seed: 8);
        var (x, y) = Batch(5, 80);
        var one = new AdversarialTraining(model, Quick(AdversarialObjective.TradeOff) with { NaturalWeight = 1 }).Forward(x, y).Loss;
        Assert.Equal(F.CrossEntropy(model.Forward(x), y).Item(), one.Item(), 6);
        var zero = new AdversarialTraining(model, Quick(AdversarialObjective.TradeOff) with { NaturalWeight = 0 }).Forward(x, y).Loss;
        var madry = new AdversarialTraining(model, Quick(AdversarialObjective.Madry)).Forward(x, y).Loss;
        Assert.Equal(madry.Item(), zero.Item(), 6);
    }

    [Fact]
    public void ParameterGradients_AreThoseOfTheLossAtTheDetachedCraftedBatch()
    {
        var (x, y) = Batch(6, 90);
        foreach (var o in Objectives)
        {
            var model = BnCnn(9);
            model.Train();
            var at = new AdversarialTraining(model, Quick(o, 4));
            var (loss, _) = at.Forward(x, y);
            Assert.All(model.Parameters(), p => Assert.Null(p.Grad)); // crafting touched no parameter gradient
            Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
            Assert.True(model.Training, "the model's train mode was not restored after crafting");
            loss.Backward();
            var got = model.Parameters().Select(p => p.Grad!.ToArray()).ToList();

            var fresh = BnCnn(9);
            fresh.Train();
            var xAdv = new AdversarialTraining(fresh, Quick(o, 4)).Craft(x, y).Detach();
            Tensor want = o switch
            {
                AdversarialObjective.Madry => F.CrossEntropy(fresh.Forward(xAdv), y),
                AdversarialObjective.TradeOff => TradeOffLoss.Compute(fresh.Forward(x), fresh.Forward(xAdv), y, 0.3),
                _ => TradesLoss.Compute(fresh.Forward(x), fresh.Forward(xAdv), y, 2),
            };
            want.Backward();
            var expected = fresh.Parameters().Select(p => p.Grad!.ToArray()).ToList();
            for (int i = 0; i < got.Count; i++)
                for (int k = 0; k < got[i].Length; k++)
                    Assert.True(Math.Abs(got[i][k] - expected[i][k]) <= 1e-5f * (1 + Math.Abs(expected[i][k])), $"{o}: parameter {i}[{k}] {got[i][k]} vs {expected[i][k]}");
        }
    }

    [Fact]
    public void BatchNormStatistics_MoveOnlyWithTheTrainingPasses()
    {
        var (x, y) = Batch(6, 100);
        foreach (var (o, passes) in new[] { (AdversarialObjective.Madry, 1L), (AdversarialObjective.TradeOff, 2L), (AdversarialObjective.Trades, 2L) })
        {
            var model = BnCnn(10);
            model.Train();
            var bn = (BatchNorm2d)model[1];
            var xAdv = new AdversarialTraining(BnCnn(10), Quick(o, 5)).Craft(x, y);
            new AdversarialTraining(model, Quick(o, 5)).Forward(x, y);
            Assert.Equal(passes, bn.NumBatchesTracked!.ToInt64Array()[0]);

            // The same statistics as a copy that only ran the training passes (x first for the two-pass objectives).
            var reference = BnCnn(10);
            reference.Train();
            using (Torch.NoGrad())
            {
                if (passes == 2) reference.Forward(x);
                reference.Forward(xAdv);
            }
            var rbn = (BatchNorm2d)reference[1];
            Assert.Equal(rbn.RunningMean!.ToArray(), bn.RunningMean!.ToArray());
            Assert.Equal(rbn.RunningVar!.ToArray(), bn.RunningVar!.ToArray());
        }
    }

    [Fact]
    public void SameSeed_SameNumbers_OtherSeed_OtherStarts()
    {
        var (x, y) = Batch(4, 110);
        foreach (var o in Objectives)
        {
            var a = new AdversarialTraining(SmallCnn(seed: 11), Quick(o, 6));
            var b = new AdversarialTraining(SmallCnn(seed: 11), Quick(o, 6));
            for (int step = 0; step < 2; step++) // the generator advances: step 2 repeats too
            {
                var (la, ga) = a.Forward(x, y);
                var (lb, gb) = b.Forward(x, y);
                Assert.Equal(la.Item(), lb.Item());
                Assert.Equal(ga!.ToArray(), gb!.ToArray());
            }
            var c = new AdversarialTraining(SmallCnn(seed: 11), Quick(o, 7) with { Steps = 1 });
            var d = new AdversarialTraining(SmallCnn(seed: 11), Quick(o, 6) with { Steps = 1 });
            Assert.True(MaxAbsDiff(c.Craft(x, y), d.Craft(x, y)) > 0, $"{o}: another seed gave the same start");
        }
    }

    /// <summary>
    /// 21 features in [0, 1]: x₀ separates the classes with a margin of 0.12 around 0.5 (robust to ε = 0.1); x₁…x₂₀ are
    /// 0.5 ± 0.08 + small noise, each predictive but flipped by ε = 0.1 (non-robust). Natural training leans on all of them.
    /// </summary>
    private static (Tensor X, Tensor Y) Toy(int n, long seed)
    {
        var g = new Generator(seed);
        var x = new float[n * 21];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = g.NextDouble() < 0.5 ? 0 : 1;
            float s = y[i] == 1 ? 1f : -1f;
            x[i * 21] = 0.5f + s * (0.12f + 0.1f * g.NextFloat());
            for (int j = 1; j < 21; j++) x[i * 21 + j] = Math.Clamp(0.5f + s * 0.05f + 0.01f * (float)g.NextNormal(), 0f, 1f);
        }
        return (Tensor.FromArray(x, n, 21), Tensor.FromArray(y, n));
    }

    /// <summary>A linear model of x − 0.5 (centered inputs keep the tiny logistic regression well conditioned).</summary>
    private sealed class Centered : Module<Tensor, Tensor>
    {
        public Centered(Linear inner) => RegisterModule("inner", inner);
        protected override Tensor ForwardCore(Tensor input) => Child<Linear>("inner").Forward(input - 0.5f);
    }

    private static double TrainAndAttack(bool adversarial)
    {
        var (xs, ys) = Toy(256, 1);
        var (xt, yt) = Toy(128, 2);
        var model = new Centered(new Linear(21, 2, generator: new Generator(3)));
        var opts = new AdversarialTrainingOptions { Epsilon = 0.1f, Steps = 5, StepSize = 0.03f, Seed = 4 };
        var at = new AdversarialTraining(model, opts);
        ForwardLoss forward = adversarial ? at.ForwardLoss : (x, y) => { var o = model.Forward(x); return (F.CrossEntropy(o, y), o); };
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.5), forward, new TrainerOptions
        {
            MaxEpochs = 30, EvalAtEnd = false, Progress = SilentProgressSink.Instance,
            Generators = new Dictionary<string, Generator> { [AdversarialTraining.GeneratorName] = at.Generator },
        });
        trainer.Fit((e, _) => Enumerable.Range(0, 4).Select(b =>
        {
            var idx = Tensor.FromArray(Enumerable.Range(b * 64, 64).Select(i => (long)i).ToArray(), 64);
            return (xs.IndexSelect(0, idx), ys.IndexSelect(0, idx));
        }), 4);
        model.Eval();
        Assert.True(Accuracy(model, xt, yt) > 0.95, $"clean accuracy {Accuracy(model, xt, yt)} (adversarial: {adversarial})");
        var pgd = new Pgd(model, opts.Threat, steps: 10, stepSize: 0.02f);
        return Accuracy(model, pgd.Perturb(xt, yt), yt);
    }

    [Fact]
    public void AdversarialTraining_RaisesPgdAccuracy_OverNaturalTraining_OnAToyProblem()
    {
        double natural = TrainAndAttack(adversarial: false), robust = TrainAndAttack(adversarial: true);
        Assert.True(natural < 0.5, $"natural training is already robust ({natural:P0}); the toy problem does not test anything");
        Assert.True(robust > 0.9 && robust > natural + 0.4, $"PGD accuracy: adversarial training {robust:P0} vs natural {natural:P0}");
    }

    [Fact]
    public void Options_DefaultsAreTheEnResNetMadrySettings_ConfigAndValidation()
    {
        var d = new AdversarialTrainingOptions();
        Assert.Equal((AdversarialObjective.Madry, 0.031f, 10, 0.007f, true, 0f, 1f), (d.Objective, d.Epsilon, d.Steps, d.StepSize, d.RandomStart, d.ClipMin, d.ClipMax));
        var c = new AdversarialTraining(SmallCnn(), d with { Objective = AdversarialObjective.Trades }).Config;
        Assert.Equal("Trades", c["objective"]);
        Assert.Equal(6.0, c["beta"]);
        Assert.False(c.ContainsKey("natural_weight"));
        Assert.False(c.ContainsKey("eot_samples"));
        Assert.Equal(0.3, new AdversarialTraining(SmallCnn(), d with { Objective = AdversarialObjective.TradeOff, NaturalWeight = 0.3 }).Config["natural_weight"]);
        foreach (var bad in new[] { d with { Epsilon = -1 }, d with { Steps = 0 }, d with { StepSize = 0 }, d with { NaturalWeight = 2 },
                     d with { Beta = -1 }, d with { EotSamples = 0 }, d with { Objective = (AdversarialObjective)9 } })
            Assert.Contains("AdversarialTrainingOptions", Assert.Throws<ArgumentOutOfRangeException>(() => new AdversarialTraining(SmallCnn(), bad)).Message);
        Assert.ThrowsAny<ArgumentException>(() => new AdversarialTraining(SmallCnn(), d with { ClipMin = 1, ClipMax = 0 }));
    }
}
