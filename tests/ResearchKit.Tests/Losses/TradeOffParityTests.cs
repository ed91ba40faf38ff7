using ResearchKit.Losses;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Losses.LossTestUtil;

namespace ResearchKit.Tests.Losses;

/// <summary>
/// The adversarial-training losses against PyTorch 1.13 (tests/fixtures/make_tradeoff_fixtures.py: N = 6, C = 4, three
/// weights each): values and gradients with respect to both logits tensors at 1e-5 rel + 1e-6 abs; finite-difference
/// checks; the special cases and the argument checks.
/// </summary>
public class TradeOffParityTests
{
    private static readonly double[] Weights = [0.0, 0.3, 1.0];
    private static readonly double[] Betas = [0.0, 1.0, 6.0];

    private static void CheckAgainst(Dictionary<string, Tensor> fx, int k, Func<Tensor, Tensor, Tensor, Tensor> loss)
    {
        var clean = fx["in.clean"].Clone().RequiresGrad_();
        var adv = fx["in.adv"].Clone().RequiresGrad_();
        var l = loss(clean, adv, fx["in.target"]);
        Close(fx[$"out.loss_{k}"], l, $"out.loss_{k}");
        l.Backward();
        Close(fx[$"grad.in.clean_{k}"], clean.Grad ?? Tensor.ZerosLike(clean), $"grad.in.clean_{k}");
        Close(fx[$"grad.in.adv_{k}"], adv.Grad ?? Tensor.ZerosLike(adv), $"grad.in.adv_{k}");
    }

    [Fact]
    public void TradeOff_MatchesPyTorch_ValuesAndBothGradients()
    {
        var fx = Fixture("tradeoff_loss");
        Assert.Equal(Targets, fx["in.target"].ToInt64Array());
        for (int k = 0; k < Weights.Length; k++)
        {
            double a = Weights[k];
            CheckAgainst(fx, k, (c, v, y) => TradeOffLoss.Compute(c, v, y, a));
        }
    }

    [Fact]
    public void Trades_MatchesPyTorch_ValuesBothGradientsAndTheAttackObjective()
    {
        var fx = Fixture("trades_loss");
        Assert.Equal(Targets, fx["in.target"].ToInt64Array());
        for (int k = 0; k < Betas.Length; k++)
        {
            double b = Betas[k];
            CheckAgainst(fx, k, (c, v, y) => TradesLoss.Compute(c, v, y, b));
        }
        var clean = fx["in.clean"].Clone().RequiresGrad_();
        var adv = fx["in.adv"].Clone().RequiresGrad_();
        var kl = TradesLoss.AttackObjective(clean, adv);
        Close(fx["out.attack"], kl, "out.attack");
        kl.Backward();
        Close(fx["grad.in.adv_attack"], adv.Grad!, "grad.in.adv_attack");
        Assert.Null(clean.Grad); // p(x) is a constant of the attack
    }

    [Fact]
    public void BothLosses_GradientsMatchFiniteDifferences()
    {
        var y = Y(Targets);
        var g = new Generator(41);
        var clean = (2f * Tensor.Randn([6, 4], g)).RequiresGrad_();
        var adv = (clean.Detach() + Tensor.Randn([6, 4], g)).RequiresGrad_();
        foreach (var (name, f) in new (string, Func<Tensor>)[]
                 {
                     ("trade-off a = 0.3", () => TradeOffLoss.Compute(clean, adv, y, 0.3)),
                     ("TRADES β = 6", () => TradesLoss.Compute(clean, adv, y, 6.0)),
                 })
        {
            clean.Grad = null; adv.Grad = null;
            f().Backward();
            var gc = clean.Grad!.ToArray(); var ga = adv.Grad!.ToArray();
            GradMatches(NumericGrad(() => f().Item(), clean, 1e-2f), gc, $"{name} d/dclean");
            GradMatches(NumericGrad(() => f().Item(), adv, 1e-2f), ga, $"{name} d/dadv");
        }
    }

    [Fact]
    public void SpecialCases_AreTheLossesTheyReduceTo()
    {
        var y = Y(Targets);
        var g = new Generator(42);
        var clean = Tensor.Randn([6, 4], g);
        var adv = Tensor.Randn([6, 4], g);
        var ceClean = ResearchKit.Tensors.Nn.Functional.CrossEntropy(clean, y).Item();
        var ceAdv = ResearchKit.Tensors.Nn.Functional.CrossEntropy(adv, y).Item();
        Assert.Equal(ceClean, TradeOffLoss.Compute(clean, adv, y, 1.0).Item(), 6);
        Assert.Equal(ceAdv, TradeOffLoss.Compute(clean, adv, y, 0.0).Item(), 6);
        Assert.Equal(ceClean, TradesLoss.Compute(clean, adv, y, 0.0).Item(), 6);
        // KL(p ‖ p) = 0: TRADES on identical logits is the clean CE whatever β.
        Assert.Equal(ceClean, TradesLoss.Compute(clean, clean, y, 6.0).Item(), 5);
        Assert.True(TradesLoss.AttackObjective(clean, adv).Item() > 0);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        var y = Y(Targets);
        var z = Tensor.Zeros(6, 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TradeOffLoss.Compute(z, z, y, 1.5));
        Assert.Contains("[0, 1]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TradeOffLoss.Compute(z, z, y, double.NaN));
        Assert.Contains("≥ 0", Assert.Throws<ArgumentOutOfRangeException>(() => TradesLoss.Compute(z, z, y, -1)).Message);
        Assert.Contains("shape", Assert.Throws<ArgumentException>(() => TradeOffLoss.Compute(z, Tensor.Zeros(6, 3), y, 0.5)).Message);
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => TradesLoss.Compute(z, z, Y(0, 1, 2, 3, 4, 0), 1)).Message);
        Assert.Throws<ArgumentException>(() => TradesLoss.AttackObjective(z, Tensor.Zeros(5, 4)));
    }
}
