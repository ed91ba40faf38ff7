using ResearchKit.Attacks;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using static ResearchKit.Tests.Attacks.AttackTestUtil;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Attacks;

/// <summary>Side effects, direction, objectives, argument checks and quantized models of the white-box attacks.</summary>
public class GradientAttackTests
{
    private static float Ce(Module<Tensor, Tensor> m, Tensor x, Tensor y)
    {
        using var _ = Torch.NoGrad();
        return F.CrossEntropy(m.Forward(x), y).Item();
    }

    [Fact]
    public void ParameterGradsUntouched_RequiresGradAndModesRestored()
    {
        var model = SmallCnn(seed: 3);
        var (x, y) = Batch(4, 30);
        F.CrossEntropy(model.Forward(x), y).Backward(); // the user's own gradients, which the attack must keep
        var before = model.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
        var bias = model.Parameters().Last();
        bias.RequiresGrad = false; // a frozen parameter stays frozen
        model.Train();
        model[1].Eval(); // mixed modes are restored module by module
        foreach (IAttack attack in new IAttack[] { new Fgsm(model, ThreatModel.Thesis), new Pgd(model, ThreatModel.Thesis, steps: 3), new CarliniWagnerL2(model, ThreatModel.Thesis, steps: 3, binarySearchSteps: 2) })
        {
            var adv = attack.Perturb(x, y);
            Assert.False(adv.RequiresGrad);
            Assert.Null(adv.GradFn);
            var after = model.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
            for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
            Assert.True(model.Training);
            Assert.False(model[1].Training);
            Assert.True(model[0].Training);
            Assert.Equal([true, true, true, false], model.Parameters().Select(p => p.RequiresGrad).ToArray());
        }
    }

    [Fact]
    public void Untargeted_RaisesTheLoss_Targeted_LowersTheTargetLoss()
    {
        var model = SmallCnn(seed: 4);
        var (x, y) = Batch(16, 40);
        var threat = new ThreatModel(AttackNorm.LInf, 0.1f);
        var up = new Pgd(model, threat, steps: 5, stepSize: 0.02f).Perturb(x, y);
        Assert.True(Ce(model, up, y) > Ce(model, x, y) + 1e-3f, "untargeted PGD did not raise the CE");
        var target = Tensor.FromArray(y.ToInt64Array().Select(v => (v + 1) % 5).ToArray(), 16);
        var down = new Pgd(model, threat with { Targeted = true }, steps: 5, stepSize: 0.02f).Perturb(x, target);
        Assert.True(Ce(model, down, target) < Ce(model, x, target) - 1e-3f, "targeted PGD did not lower the target's CE");
        var fg = new Fgsm(model, threat with { Targeted = true }).Perturb(x, target);
        Assert.True(Ce(model, fg, target) < Ce(model, x, target), "targeted FGSM did not lower the target's CE");
    }

    [Fact]
    public void CustomObjective_IsTheOneAscended()
    {
        var model = SmallCnn(seed: 5);
        var (x, y) = Batch(4, 50);
        // An objective that only rewards raising the sum of pixels: the ascent direction is +1 everywhere.
        var adv = new Fgsm(model, new ThreatModel(AttackNorm.LInf, 0.01f), (inp, _) => inp.Sum()).Perturb(x * 0.5f + 0.1f, y);
        var diff = (adv - (x * 0.5f + 0.1f)).ToArray();
        Assert.All(diff, v => Assert.InRange(v, 0.01f - 1e-6f, 0.01f + 1e-6f));

        // sign(0) = 0, as torch.sign: pixels whose gradient is exactly 0 do not move (FGSM and PGD).
        var mask = Tensor.FromArray(Enumerable.Range(0, x.Numel).Select(i => i % 2 == 0 ? 1f : 0f).ToArray(), x.Shape.ToArray());
        var mid = x * 0.5f + 0.1f;
        foreach (IAttack attack in new IAttack[] { new Fgsm(model, new ThreatModel(AttackNorm.LInf, 0.01f), (inp, _) => (inp * mask).Sum()),
                     new Pgd(model, new ThreatModel(AttackNorm.LInf, 0.01f), steps: 3, stepSize: 0.004f, objective: (inp, _) => (inp * mask).Sum()) })
        {
            var moved = (attack.Perturb(mid, y) - mid).ToArray();
            for (int i = 0; i < moved.Length; i++)
                if (i % 2 == 1) Assert.Equal(0f, moved[i]);
                else Assert.True(moved[i] > 0.009f, $"{attack.Name}: pixel {i} moved {moved[i]}");
        }
    }

    [Fact]
    public void Queries_CountForwardPassesTimesInputs()
    {
        var model = SmallCnn();
        var (x, y) = Batch(6, 60);
        var pgd = new Pgd(model, ThreatModel.Thesis, steps: 7);
        pgd.Perturb(x, y);
        Assert.Equal(42, pgd.Queries);
        var fgsm = new Fgsm(model, ThreatModel.Thesis);
        fgsm.Perturb(x, y);
        Assert.Equal(6, fgsm.Queries);
        var cw = new CarliniWagnerL2(model, ThreatModel.Thesis, steps: 4, binarySearchSteps: 3);
        cw.Perturb(x, y);
        Assert.Equal(6 * 4 * 3, cw.Queries);
    }

    [Fact]
    public void PerturbAt_EqualsSeparateShorterRuns_WithRandomStart()
    {
        var model = SmallCnn(seed: 6);
        var (x, y) = Batch(5, 70);
        var snaps = new Pgd(model, ThreatModel.Thesis, steps: 9, randomStart: true, seed: 11).PerturbAt(x, y, [2, 5]);
        Assert.Equal(0f, MaxAbsDiff(snaps[0], new Pgd(model, ThreatModel.Thesis, steps: 2, randomStart: true, seed: 11).Perturb(x, y)));
        Assert.Equal(0f, MaxAbsDiff(snaps[1], new Pgd(model, ThreatModel.Thesis, steps: 5, randomStart: true, seed: 11).Perturb(x, y)));
        Assert.True(MaxAbsDiff(snaps[0], new Pgd(model, ThreatModel.Thesis, steps: 2, randomStart: true, seed: 12).Perturb(x, y)) > 0, "the seed changes the start");
    }

    [Fact]
    public void CarliniWagner_FindsCloseAdversarials_InsideTheClipRange()
    {
        var model = SmallCnn(seed: 7);
        var (x, _) = Batch(6, 80);
        var y = Predictions(model, x);
        var cw = new CarliniWagnerL2(model, ThreatModel.Thesis, steps: 60, binarySearchSteps: 4, initialConst: 1f, learningRate: 0.05);
        var adv = cw.Perturb(x, y);
        InsideThreat(x, adv, ThreatModel.Thesis, "C&W", checkBall: false);
        using var _ = Torch.NoGrad();
        var pred = model.Forward(adv).Argmax(1).ToInt64Array();
        var yl = y.ToInt64Array();
        var a = adv.ToArray(); var c = x.ToArray();
        int fooled = 0;
        for (int i = 0; i < 6; i++)
        {
            bool same = a.Skip(i * 192).Take(192).SequenceEqual(c.Skip(i * 192).Take(192));
            if (pred[i] != yl[i]) fooled++;
            else Assert.True(same, $"input {i}: not fooled, so C&W must return the clean input");
        }
        Assert.True(fooled >= 4, $"C&W fooled only {fooled}/6 inputs of a random CNN");
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        var model = SmallCnn();
        var (x, y) = Batch(3, 90);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pgd(model, new ThreatModel(AttackNorm.LInf, -0.1f)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pgd(model, ThreatModel.Thesis, steps: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pgd(model, ThreatModel.Thesis, stepSize: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CarliniWagnerL2(model, ThreatModel.Thesis, confidence: -1f));
        var pgd = new Pgd(model, ThreatModel.Thesis, steps: 2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => pgd.Perturb(x, Tensor.FromArray(new long[] { 0, 1, 5 }, 3)));
        Assert.Contains("out of range for 5 classes", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => pgd.Perturb(x, Tensor.FromArray(new long[] { 0, -1, 2 }, 3)));
        Assert.Throws<ArgumentException>(() => pgd.Perturb(x, Tensor.FromArray(new long[] { 0, 1 }, 2)));
        Assert.Throws<ArgumentException>(() => pgd.Perturb(x, y.Float()));
        Assert.Throws<ArgumentException>(() => pgd.Perturb(x.Select(0, 0), y));
        Assert.Throws<ArgumentOutOfRangeException>(() => pgd.Perturb(x * 3f, y));
        Assert.Throws<ArgumentException>(() => pgd.PerturbAt(x, y, [3, 2]));
        Assert.Throws<ArgumentException>(() => pgd.PerturbAt(x, y, []));
        var oracle = new ModelOracle(model);
        Assert.Throws<ArgumentException>(() => new Spsa(oracle, new ThreatModel(AttackNorm.L2, 1f)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Spsa(oracle, ThreatModel.Thesis, samples: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Spsa(oracle, ThreatModel.Thesis, iterations: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Spsa(oracle, ThreatModel.Thesis, delta: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SquareAttack(oracle, ThreatModel.Thesis, pInit: 0f));
        Assert.Throws<ArgumentException>(() => new SquareAttack(oracle, ThreatModel.Thesis).Perturb(x.Reshape(3, -1), y));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Spsa(oracle, ThreatModel.Thesis, iterations: 1, samples: 1).Perturb(x, Tensor.FromArray(new long[] { 9, 0, 0 }, 3)));
    }

    [Fact]
    public void QuantizedNetwork_StraightThroughGradients_LetPgdRaiseTheLossAndLowerAccuracy()
    {
        var g = new Generator(8);
        var model = new Sequential(
            new QuantConv2d(3, 8, 3, new DoReFaWeightQuantizer(4), padding: 1, generator: g),
            new QuantReLU(new PactActivationQuantizer(4, initialAlpha: 2f)),
            new MaxPool2d(2), new Flatten(),
            new QuantLinear(8 * 4 * 4, 5, new DoReFaWeightQuantizer(4), new PactActivationQuantizer(4, initialAlpha: 2f), generator: g));
        var (x, _) = Batch(16, 100);
        var y = Predictions(model, x);
        var xg = x.Clone().RequiresGrad_();
        var grad = Autograd.Grad(F.CrossEntropy(model.Forward(xg), y), xg);
        Assert.True(grad.Abs().Sum().Item() > 0, "no input gradient crosses the quantizers");

        var threat = new ThreatModel(AttackNorm.LInf, 0.1f);
        var adv = new Pgd(model, threat, steps: 10, stepSize: 0.02f).Perturb(x, y);
        InsideThreat(x, adv, threat, "quantized PGD");
        Assert.True(Ce(model, adv, y) > Ce(model, x, y), "PGD through STE did not raise the loss");
        Assert.True(Accuracy(model, adv, y) < 1.0, "PGD through STE fooled no input");
    }
}
