using ResearchKit.Losses;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Losses;

public class SegmentationLossTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    // Numerically stable BCE on a logit, written from the definition −[t·log σ(x) + (1 − t)·log(1 − σ(x))].
    private static double Bce(double x, double t) => -(t * Math.Log(Sigmoid(x)) + (1 - t) * Math.Log(1 - Sigmoid(x)));

    [Fact]
    public void BceDice_WithDiceWeightZero_IsMeanPixelBce()
    {
        float[] logits = [2f, -1f, 0f, 3f, -4f, 0.5f];
        float[] target = [1f, 0f, 1f, 0f, 0f, 1f];
        double expected = logits.Zip(target, (x, t) => Bce(x, t)).Average();
        var loss = new BceDiceLoss(bceWeight: 1f, diceWeight: 0f).Forward(Tensor.FromArray(logits, 2, 1, 1, 3), Tensor.FromArray(target, 2, 1, 1, 3));
        Assert.Equal(expected, loss.Item(), 5);
    }

    [Fact]
    public void SoftDice_SaturatedLogits_MatchesHandCount()
    {
        // Predictions ≈ [1, 1, 0, 0] vs mask [1, 0, 1, 0]: intersection 1, |P| = 2, |T| = 2 → 1 − (2 + 1)/(4 + 1) = 0.4 with s = 1.
        var logits = Tensor.FromArray([30f, 30f, -30f, -30f], 1, 1, 2, 2);
        var mask = Tensor.FromArray([1f, 0f, 1f, 0f], 1, 1, 2, 2);
        Assert.Equal(0.4, new SoftDiceLoss().Forward(logits, mask).Item(), 5);
        Assert.Equal(0.5, new SoftDiceLoss(smooth: 0f).Forward(logits, mask).Item(), 5); // 1 − 2/4
        // Perfect prediction → 0; empty mask with empty prediction → 0 thanks to the smoothing.
        Assert.Equal(0.0, new SoftDiceLoss().Forward(Tensor.FromArray([30f, -30f], 1, 2), Tensor.FromArray([1f, 0f], 1, 2)).Item(), 5);
        Assert.Equal(0.0, new SoftDiceLoss().Forward(Tensor.FromArray([-30f, -30f], 1, 2), Tensor.FromArray([0f, 0f], 1, 2)).Item(), 5);
    }

    [Fact]
    public void SoftDice_PerSample_MatchesDefinition()
    {
        var g = new Generator(11);
        var logits = Tensor.Randn([3, 1, 4, 4], g);
        var mask = Tensor.Randn([3, 1, 4, 4], g).Gt(0f).Float();
        var perSample = new SoftDiceLoss(smooth: 0.5f, reduction: "none").Forward(logits, mask).ToArray();
        var x = logits.ToArray(); var t = mask.ToArray();
        for (int n = 0; n < 3; n++)
        {
            double inter = 0, sp = 0, st = 0;
            for (int i = n * 16; i < (n + 1) * 16; i++) { double p = Sigmoid(x[i]); inter += p * t[i]; sp += p; st += t[i]; }
            Assert.Equal(1 - (2 * inter + 0.5) / (sp + st + 0.5), perSample[n], 5);
        }
        Assert.Equal(perSample.Average(), new SoftDiceLoss(smooth: 0.5f).Forward(logits, mask).Item(), 5);
        Assert.Equal(perSample.Sum(), new SoftDiceLoss(smooth: 0.5f, reduction: "sum").Forward(logits, mask).Item(), 5);
    }

    [Fact]
    public void SoftDice_GradientMatchesFiniteDifferences()
    {
        var g = new Generator(12);
        var x0 = Tensor.Randn([2, 1, 3, 3], g);
        var mask = Tensor.Randn([2, 1, 3, 3], g).Gt(0f).Float();
        var x = x0.Clone().RequiresGrad_();
        var loss = new SoftDiceLoss();
        loss.Forward(x, mask).Backward();
        var grad = x.Grad!.ToArray();
        var xs = x0.ToArray();
        const float h = 1e-2f;
        for (int i = 0; i < xs.Length; i++)
        {
            var plus = (float[])xs.Clone(); plus[i] += h;
            var minus = (float[])xs.Clone(); minus[i] -= h;
            double fd = (loss.Forward(Tensor.FromArray(plus, 2, 1, 3, 3), mask).Item() - loss.Forward(Tensor.FromArray(minus, 2, 1, 3, 3), mask).Item()) / (2 * h);
            Assert.True(Math.Abs(fd - grad[i]) < 1e-3, $"element {i}: autograd {grad[i]}, finite difference {fd}");
        }
    }

    [Fact]
    public void BadInputs_NameTheProblem()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SoftDiceLoss().Forward(Tensor.Zeros(2, 1, 4, 4), Tensor.Zeros(2, 4, 4)));
        Assert.Contains("logits' shape", ex.Message);
        Assert.Throws<ArgumentException>(() => new BceDiceLoss().Forward(Tensor.Zeros(2, 1, 4, 4), Tensor.ZerosInt64(2, 1, 4, 4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftDiceLoss(smooth: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BceDiceLoss(diceWeight: float.NaN));
    }
}
