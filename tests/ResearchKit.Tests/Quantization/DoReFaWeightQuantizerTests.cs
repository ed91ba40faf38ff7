using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization;

public class DoReFaWeightQuantizerTests
{
    // W = [[0.5, −1], [0.2, 2]]: tanh W = [0.46212, −0.76159, 0.19738, 0.96403], max|tanh W| = 0.96403.
    // Eq. 5.2: W̃ = ½(tanh W / 0.96403 + 1) = [0.73968, 0.10499, 0.60237, 1].
    private static Tensor W() => Tensor.FromArray([0.5f, -1f, 0.2f, 2f], 2, 2);

    [Fact]
    public void Clamp_Eq52_MapsIntoUnitInterval()
    {
        var q = new DoReFaWeightQuantizer(2);
        Close([0.739680f, 0.104994f, 0.602370f, 1f], q.Clamp(W()).ToArray());
    }

    [Fact]
    public void TwoBits_Eqs53And54_HandComputed()
    {
        // a = 3: a·W̃ = [2.219, 0.315, 1.807, 3] → round [2, 0, 2, 3] → q = [2/3, 0, 2/3, 1] → Q = 2q − 1.
        var q = new DoReFaWeightQuantizer(2);
        Close([1f / 3f, -1f, 1f / 3f, 1f], q.Quantize(W()).ToArray());
        Assert.Equal(2, q.BitWidth);
        // Grid {2k/3 − 1}: −1, −1/3, 1/3, 1, step 2/3.
        var grid = q.Grid();
        Close([-1f, -1f / 3f, 1f / 3f, 1f], grid.Shared);
        Assert.Equal(2f / 3f, grid.Steps![0], 6);
    }

    [Fact]
    public void OneBit_IsBinary()
    {
        // a = 1: round(W̃) = [1, 0, 1, 1] → Q = [1, −1, 1, 1].
        var q = new DoReFaWeightQuantizer(1);
        Close([1f, -1f, 1f, 1f], q.Quantize(W()).ToArray(), 0f);
        Close([-1f, 1f], q.Grid().Shared, 0f);
    }

    [Fact]
    public void OneBit_PrintedFloor_SendsAllButTheMaxToMinusOne()
    {
        // Literal ⌊W̃⌋ of the extracted Eq. 5.3: W̃ < 1 except at the max (W = 2) → [0, 0, 0, 1] → Q = [−1, −1, −1, 1].
        var floor = new DoReFaWeightQuantizer(1, rounding: RoundingMode.Floor);
        Close([-1f, -1f, -1f, 1f], floor.Quantize(W()).ToArray(), 0f);
        var round = new DoReFaWeightQuantizer(1, rounding: RoundingMode.Nearest);
        Assert.Equal(3, round.Quantize(W()).ToArray().Count(v => v == 1f));
    }

    [Fact]
    public void PerChannel_TakesTheMaxPerOutputRow()
    {
        // b = 3, a = 7. Per tensor: 7·W̃ = [5.178, 0.735, 4.217, 7] → [5, 1, 4, 7] → Q = 2k/7 − 1 = [3/7, −5/7, 1/7, 1].
        // Per channel, row 0's max is |tanh(−1)| = 0.76159: W̃ = [0.80339, 0] → 7·W̃ = [5.624, 0] → [6, 0] → Q = [5/7, −1];
        // row 1's max is the global one, so it is unchanged.
        Close([3f / 7f, -5f / 7f, 1f / 7f, 1f], new DoReFaWeightQuantizer(3).Quantize(W()).ToArray());
        Close([5f / 7f, -1f, 1f / 7f, 1f], new DoReFaWeightQuantizer(3, QuantGranularity.PerChannel).Quantize(W()).ToArray());
    }

    [Fact]
    public void ScaledAdjust_Eq55_DividesBySqrtNoutVar()
    {
        // Q = [1/3, −1, 1/3, 1]: mean 1/6, E[Q²] = 5/9, Var = 5/9 − 1/36 = 19/36 (population);
        // n_out = 2 → sqrt(2·19/36) = sqrt(19/18) = 1.027402.
        var q = new DoReFaWeightQuantizer(2, scaledAdjust: true);
        float d = 1.027402f;
        Close([1f / 3f / d, -1f / d, 1f / 3f / d, 1f / d], q.Quantize(W()).ToArray());
        Close([-1f / d, -1f / 3f / d, 1f / 3f / d, 1f / d], q.Grid(W()).Shared);
        Assert.Throws<ArgumentException>(() => q.Grid());
    }

    [Theory]
    [InlineData(QuantGranularity.PerTensor, false)]
    [InlineData(QuantGranularity.PerChannel, false)]
    [InlineData(QuantGranularity.PerTensor, true)]
    public void Gradient_IsTheStraightThroughRule_CheckedByFiniteDifferences(QuantGranularity granularity, bool scaledAdjust)
    {
        // The STE says ∂round(u)/∂u := 1, i.e. Q behaves like R + (2W̃(W) − 1) − S₀ near the point, with R the rounded Q and
        // S₀ the unrounded 2W̃ − 1 at the point (both held constant). That twin is smooth (tanh, max away from ties,
        // Scaled-Adjust's variance), so its finite differences must equal the autograd gradient of Quantize.
        var quant = new DoReFaWeightQuantizer(3, granularity, scaledAdjust: scaledAdjust);
        float[] w = [0.3f, -0.8f, 0.1f, 1.1f, -0.4f, 0.6f];
        float[] up = [1f, -2f, 0.5f, 3f, 1.5f, -1f];
        int[] shape = [2, 3];
        var plain = new DoReFaWeightQuantizer(3, granularity);
        Tensor rounded, s0;
        using (GradMode.Set(false))
        {
            rounded = plain.Quantize(Tensor.FromArray(w, shape));
            s0 = 2f * plain.Clamp(Tensor.FromArray(w, shape)) - 1f;
        }
        Tensor Twin(Tensor x)
        {
            var q = rounded + (2f * plain.Clamp(x) - 1f - s0);
            return scaledAdjust ? q / (q.Var(correction: 0) * 2f).Sqrt() : q;
        }
        Close(NumericGrad(Twin, w, up, shape), AutogradGrad(quant.Quantize, w, up, shape), 3e-3f);
    }

    [Fact]
    public void RejectsBadInput()
    {
        Assert.Contains("bit width 0", Assert.Throws<ArgumentException>(() => new DoReFaWeightQuantizer(0)).Message);
        Assert.Contains("per-channel", Assert.Throws<ArgumentException>(() => new DoReFaWeightQuantizer(2, QuantGranularity.PerChannel).Quantize(Tensor.Scalar(1f))).Message);
    }

    [Fact]
    public void AllZeroWeights_GiveNoNaN()
    {
        // tanh 0 / max 0 would be NaN; the quantizer divides by 1 there, so W̃ ≈ ½ and a·W̃ ≈ 1.5 with a = 3: Q lands on
        // one of the two levels nearest 0 (±1/3; which one depends on the last bit of the engine's tanh(0)).
        var y = new DoReFaWeightQuantizer(2).Quantize(Tensor.Zeros(2, 2)).ToArray();
        Assert.All(y, v => Assert.Equal(1f / 3f, MathF.Abs(v), 6));
    }
}
