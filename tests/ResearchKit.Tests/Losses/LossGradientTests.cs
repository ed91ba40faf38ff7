using ResearchKit.Losses;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using static ResearchKit.Tests.Losses.LossTestUtil;

namespace ResearchKit.Tests.Losses;

/// <summary>
/// Finite-difference checks of each loss' autograd gradient (features and class parameters), Richardson-extrapolated
/// central differences at 0.2 % of max|grad|; each check also asserts that a 1 % gradient error would fail it.
/// </summary>
public class LossGradientTests
{
    private static Tensor Features(long seed, float scale = 1f) => scale * Tensor.Randn([6, 5], new Generator(seed));

    private static void CheckBoth(Loss loss, Tensor? param, Tensor features, float h)
    {
        var y = Y(Targets);
        var f = features.RequiresGrad_();
        loss.Forward(f, y).Backward();
        var gf = f.Grad!.ToArray();
        GradMatches(NumericGrad(() => loss.Forward(f, y).Item(), f, h), gf, $"{loss.GetType().Name} d/dfeatures");
        if (param is null) return;
        GradMatches(NumericGrad(() => loss.Forward(f, y).Item(), param, h), param.Grad!.ToArray(), $"{loss.GetType().Name} d/dparameter");
    }

    [Fact]
    public void Ams_GradientsMatchFiniteDifferences()
    {
        // s = 30 makes the loss sharply curved in the angle; features of norm ~4.5 keep the curvature per unit step moderate.
        var loss = new AmsLoss(5, 4, generator: new Generator(11));
        CheckBoth(loss, loss.Weight, Features(12, 2f), h: 1e-2f);
    }

    [Fact]
    public void Gml_GradientsMatchFiniteDifferences()
    {
        var loss = new GmlLoss(5, 4, generator: new Generator(21));
        using (Torch.NoGrad()) loss.Means.CopyFrom(Tensor.Randn([4, 5], new Generator(22)));
        CheckBoth(loss, loss.Means, Features(23), h: 1e-2f);
    }

    [Fact]
    public void Mmc_GradientMatchesFiniteDifferences_AndIsFeatureMinusCenter()
    {
        var loss = new MmcLoss(5, 4);
        var f = Features(31, 2f);
        CheckBoth(loss, null, f.Detach(), h: 1e-2f);
        // Closed form of Eq. 6.6 with the batch mean: d/df_i = (f_i − μ*_{y_i}) / N.
        var g = f.Detach().RequiresGrad_();
        var y = Y(Targets);
        loss.Forward(g, y).Backward();
        Close((f.Detach() - loss.PresetCenters.IndexSelect(0, y)) / 6f, g.Grad!, "MMC closed-form gradient");
    }
}
