using ResearchKit.Attacks;
using ResearchKit.Attacks.SideChannel;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Attacks.AttackTestUtil;
using static ResearchKit.Tests.Attacks.SideChannel.SideChannelTestUtil;

namespace ResearchKit.Tests.Attacks.SideChannel;

/// <summary>The label-only view, and why a score-based attack needs the extracted logits.</summary>
public class LabelOnlyOracleTests
{
    [Fact]
    public void ShowsOnlyTheTopOneAsOneHot_AndCountsQueries()
    {
        var truth = RandomLogits(6, 4, 10);
        var device = IdentityDevice();
        var oracle = new LabelOnlyOracle(device);
        var s = oracle.Scores(truth);
        var top = truth.Argmax(1).ToInt64Array();
        var v = s.ToArray();
        for (int r = 0; r < 6; r++)
            for (int k = 0; k < 4; k++) Assert.Equal(k == top[r] ? 1f : 0f, v[r * 4 + k]);
        Assert.Equal(6, oracle.Queries);
        Assert.Equal(6, device.Queries);
    }

    /// <summary>
    /// SPSA's finite differences of the Eq. B.1 margin: through the label-only view the margin is 1 at both x ± δv unless
    /// a query flips the label, so the estimate is exactly zero for inputs away from the boundary; through the side channel
    /// (enough traces) every input gets a non-zero estimate.
    /// </summary>
    [Fact]
    public void SpsaGradient_IsZeroThroughLabels_ButNotThroughTheSideChannel()
    {
        var model = SmallCnn(seed: 12);
        var (x, _) = Batch(12, 140);
        var y = Predictions(model, x);
        var device = new ModelOracle(model);
        Tensor Margin(IScoreOracle o, Tensor batch, Tensor labels) => Spsa.Margins(o.Scores(batch), labels);

        int ZeroRows(IScoreOracle o)
        {
            // EstimateGradient's f sees each input's 2n query rows in order, so the label of row j is y[j / (2n)].
            const int samples = 8;
            var labels = y.ToInt64Array();
            int seen = 0;
            var g = Spsa.EstimateGradient(batch =>
            {
                var rows = Enumerable.Range(seen, batch.Size(0)).Select(j => labels[j / (2 * samples)]).ToArray();
                seen += batch.Size(0);
                return Margin(o, batch, Tensor.FromArray(rows, rows.Length));
            }, x, samples, delta: 0.01f, seed: 3).ToArray();
            int d = g.Length / 12, zero = 0;
            for (int i = 0; i < 12; i++) if (g.AsSpan(i * d, d).ToArray().All(v => v == 0)) zero++;
            return zero;
        }

        Assert.True(ZeroRows(new LabelOnlyOracle(device)) >= 9, "label-only SPSA should see no signal on most inputs");
        Assert.Equal(0, ZeroRows(new SideChannelOracle(device, new LeakageModel { NoiseSigma = 0.1, Scale = NoiseScale.RelativeToLogits, Traces = 64 }, seed: 1)));
    }
}
