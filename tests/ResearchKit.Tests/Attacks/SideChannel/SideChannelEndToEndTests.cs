using ResearchKit.Attacks;
using ResearchKit.Attacks.SideChannel;
using Xunit;
using static ResearchKit.Tests.Attacks.AttackTestUtil;

namespace ResearchKit.Tests.Attacks.SideChannel;

/// <summary>SPSA and Square on a tiny CNN through the side channel: more traces per query, more inputs fooled.</summary>
public class SideChannelEndToEndTests
{
    [Fact]
    public void ScoreAttacks_SucceedMoreOftenWithMoreTraces()
    {
        var model = SmallCnn(seed: 12);
        var (x, _) = Batch(16, 140);
        var y = Predictions(model, x);
        var device = new ModelOracle(model);
        var threat = new ThreatModel(AttackNorm.LInf, 0.1f);
        // Noise as large as the logits themselves per trace (SNR 1): one trace is mostly noise, 256 leave σ/16.
        var leakage = new LeakageModel { NoiseSigma = 1.0, Scale = NoiseScale.RelativeToLogits };

        var spsa = TraceSweep.AttackSuccess(device, leakage, o => new Spsa(o, threat, samples: 16, iterations: 10, learningRate: 0.02, seed: 1), x, y, [1, 256], seed: 3);
        Assert.True(spsa[1].SuccessRate >= spsa[0].SuccessRate + 0.25, $"SPSA: {spsa[0].SuccessRate} with 1 trace vs {spsa[1].SuccessRate} with 256");
        // SPSA's query count does not depend on T, the traces it costs do.
        Assert.Equal(16L * 10 * 2 * 16, spsa[0].Queries);
        Assert.Equal(spsa[0].Queries, spsa[1].Queries);
        Assert.Equal(256 * spsa[1].Queries, spsa[1].TargetTraces);

        var square = TraceSweep.AttackSuccess(device, leakage with { NoiseSigma = 0.5 }, o => new SquareAttack(o, threat, queryBudget: 100, pInit: 0.3f, seed: 1), x, y, [1, 256], seed: 3);
        Assert.True(square[1].SuccessRate >= square[0].SuccessRate + 0.25, $"Square: {square[0].SuccessRate} with 1 trace vs {square[1].SuccessRate} with 256");
        Assert.Equal(square[1].Queries, square[1].TargetTraces / 256);
    }
}
