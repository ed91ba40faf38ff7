using ResearchKit.Attacks;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using static ResearchKit.Tests.Attacks.AttackTestUtil;

namespace ResearchKit.Tests.Attacks;

/// <summary>
/// Parity with PyTorch 1.13 on tests/fixtures/attacks_small_cnn.safetensors (make_attack_fixtures.py): the same small
/// CNN and inputs, FGSM (ε = 8/255), PGD L∞ (ε = 8/255, 10 steps of 2/255, no random start; every step) and PGD L2
/// (ε = 0.5, 10 steps of 0.1), cross-entropy. The script guarantees no gradient is near 0, so signs cannot flip.
/// </summary>
public class AttackParityTests
{
    private const float Tol = 1e-5f;

    private static (Sequential Model, Tensor X, Tensor Y, Dictionary<string, Tensor> Fx) Load()
    {
        var fx = Fixture("attacks_small_cnn");
        var model = SmallCnn();
        var state = fx.Where(kv => kv.Key.StartsWith("param.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["param.".Length..], kv => kv.Value);
        model.LoadStateDict(state);
        return (model, fx["in.x"], fx["in.target"], fx);
    }

    [Fact]
    public void Fgsm_MatchesPyTorch()
    {
        var (model, x, y, fx) = Load();
        var adv = new Fgsm(model, ThreatModel.Thesis).Perturb(x, y);
        Assert.True(MaxAbsDiff(fx["out.fgsm"], adv) <= Tol, $"FGSM differs from PyTorch by {MaxAbsDiff(fx["out.fgsm"], adv)}");
        Assert.True(MaxAbsDiff(adv, x) > 0.03f, "FGSM moved nothing");
    }

    [Fact]
    public void PgdLInf_MatchesPyTorch_AtEveryStep()
    {
        var (model, x, y, fx) = Load();
        var pgd = new Pgd(model, ThreatModel.Thesis, steps: 10, stepSize: 2f / 255);
        Assert.True(MaxAbsDiff(fx["out.pgd_linf"], pgd.Perturb(x, y)) <= Tol);
        var snaps = pgd.PerturbAt(x, y, Enumerable.Range(1, 10).ToArray());
        var steps = fx["out.pgd_linf_steps"];
        for (int t = 0; t < 10; t++)
            Assert.True(MaxAbsDiff(steps.Select(0, t), snaps[t]) <= Tol, $"PGD step {t + 1} differs from PyTorch by {MaxAbsDiff(steps.Select(0, t), snaps[t])}");
    }

    [Fact]
    public void PgdL2_MatchesPyTorch()
    {
        var (model, x, y, fx) = Load();
        var adv = new Pgd(model, new ThreatModel(AttackNorm.L2, 0.5f), steps: 10, stepSize: 0.1f).Perturb(x, y);
        Assert.True(MaxAbsDiff(fx["out.pgd_l2"], adv) <= Tol, $"PGD L2 differs from PyTorch by {MaxAbsDiff(fx["out.pgd_l2"], adv)}");
    }
}
