using ResearchKit.Attacks;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using static ResearchKit.Tests.Attacks.AttackTestUtil;

namespace ResearchKit.Tests.Attacks;

/// <summary>
/// Seeded random loops (ResearchKit.Tests has no FsCheck): for random inputs, labels, ε (including 0), clip ranges
/// and models, every attack's output lies in its ε-ball (tolerance 1e-6) and its clip range.
/// </summary>
public class AttackPropertyTests
{
    public static TheoryData<int> Seeds => new() { 1, 2, 3, 4, 5, 6 };

    private static (Sequential Model, Tensor X, Tensor Y, float Eps, ThreatModel Box) Case(int seed)
    {
        var rng = new Random(seed);
        float eps = seed == 1 ? 0f : (float)rng.NextDouble() * 0.3f;
        // A clip range other than [0, 1] half of the time, inputs drawn inside it.
        (float lo, float hi) = seed % 2 == 0 ? (0f, 1f) : (-0.5f, 2f);
        var (x, y) = Batch(1 + rng.Next(5), 1000 + seed);
        x = x * (hi - lo) + lo;
        return (SmallCnn(seed: seed), x, y, eps, new ThreatModel(AttackNorm.LInf, eps, lo, hi));
    }

    [Theory, MemberData(nameof(Seeds))]
    public void WhiteBox_OutputsStayInTheBallAndTheClipRange(int seed)
    {
        var (model, x, y, eps, linf) = Case(seed);
        var l2 = linf with { Norm = AttackNorm.L2, Epsilon = eps * 4 };
        InsideThreat(x, new Fgsm(model, linf).Perturb(x, y), linf, "FGSM L∞");
        InsideThreat(x, new Fgsm(model, l2).Perturb(x, y), l2, "FGM L2");
        InsideThreat(x, new Pgd(model, linf, steps: 4, stepSize: 0.05f, randomStart: seed % 3 == 0, seed: seed).Perturb(x, y), linf, "PGD L∞");
        InsideThreat(x, new Pgd(model, l2, steps: 4, stepSize: 0.3f, randomStart: seed % 3 == 0, seed: seed).Perturb(x, y), l2, "PGD L2");
        InsideThreat(x, new CarliniWagnerL2(model, linf, steps: 5, binarySearchSteps: 2, initialConst: 10f).Perturb(x, y), linf, "C&W", checkBall: false);
    }

    [Theory, MemberData(nameof(Seeds))]
    public void ScoreBased_OutputsStayInTheBallAndTheClipRange(int seed)
    {
        var (model, x, y, _, linf) = Case(seed);
        var oracle = new ModelOracle(model);
        InsideThreat(x, new Spsa(oracle, linf, samples: 4, iterations: 5, learningRate: 0.05, randomStart: seed % 2 == 0, seed: seed).Perturb(x, y), linf, "SPSA");
        InsideThreat(x, new SquareAttack(oracle, linf, queryBudget: 30, pInit: 0.3f, seed: seed).Perturb(x, y), linf, "Square");
    }
}
