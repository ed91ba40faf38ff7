using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization;

public class LsqQuantizerTests
{
    // Signed b = 3: Q_N = 4, Q_P = 3; s = 0.5. v = [−3, −0.6, 0.1, 0.7, 2] → v/s = [−6, −1.2, 0.2, 1.4, 4].
    private static readonly float[] V = [-3f, -0.6f, 0.1f, 0.7f, 2f];

    [Fact]
    public void Forward_Signed_HandComputed()
    {
        var q = LsqQuantizer.ForWeights(3, initialStep: 0.5f);
        Assert.Equal((4, 3), (q.Qn, q.Qp));
        // clamp to [−4, 3] → [−4, −1.2, 0.2, 1.4, 3] → round → [−4, −1, 0, 1, 3] → ×0.5.
        Close([-2f, -0.5f, 0f, 0.5f, 1.5f], q.Quantize(T(V)).ToArray());
        // Grid k·s, k = −4..3.
        Close([-2f, -1.5f, -1f, -0.5f, 0f, 0.5f, 1f, 1.5f], q.Grid().Shared);
        Assert.Equal(0.5f, q.Grid().Steps![0]);
    }

    [Fact]
    public void Backward_MatchesLsqFormula_HandComputed()
    {
        var q = LsqQuantizer.ForWeights(3, initialStep: 0.5f);
        var v = T(V).RequiresGrad_();
        q.Quantize(v).Sum().Backward();
        // ∂v̂/∂v = 1 strictly inside (−4, 3): [0, 1, 1, 1, 0].
        Close([0f, 1f, 1f, 1f, 0f], v.Grad!.ToArray(), 0f);
        // ∂v̂/∂s: r ≤ −4 → −4; −1.2 → round − r = −1 + 1.2 = 0.2; 0.2 → −0.2; 1.4 → 1 − 1.4 = −0.4; r ≥ 3 → 3. Sum −1.4.
        // g = 1/sqrt(N·Q_P) = 1/sqrt(5·3) = 0.258199 → −1.4 · 0.258199 = −0.361478.
        Assert.Equal(-0.361478f, q.Step.Grad!.ToArray()[0], 1e-5f);
    }

    [Fact]
    public void Unsigned_ForActivations_HandComputed()
    {
        // b = 2: Q_N = 0, Q_P = 3, s = 0.5. x = [−1, 0.2, 0.8, 5] → x/s = [−2, 0.4, 1.6, 10] → clamp [0, 0.4, 1.6, 3] → [0, 0, 2, 3].
        var q = LsqQuantizer.ForActivations(2, initialStep: 0.5f);
        var x = Tensor.FromArray([-1f, 0.2f, 0.8f, 5f], 2, 2).RequiresGrad_();
        var y = q.Quantize(x);
        Close([0f, 0f, 1f, 1.5f], y.ToArray());
        y.Sum().Backward();
        Close([0f, 1f, 1f, 0f], x.Grad!.ToArray(), 0f);
        // ∂/∂s: r ≤ 0 → 0; 0.4 → −0.4; 1.6 → 0.4; r ≥ 3 → 3. Sum 3. Activations: N = features per sample = 4/2 = 2,
        // g = 1/sqrt(2·3) = 0.408248 → 1.224745.
        Assert.Equal(1.224745f, q.Step.Grad!.ToArray()[0], 1e-5f);
    }

    [Fact]
    public void Activations_WithoutAnInitialStep_InitializeFromTheFirstBatch_ButNeverOverALoadedStep()
    {
        // First batch [0.3, 1.2, 0, 2.5]: mean|v| = 1.0, b = 2 (Q_P = 3): s = 2/sqrt(3) = 1.154701.
        var relu = new QuantReLU(LsqQuantizer.ForActivations(2));
        var q = (LsqQuantizer)relu.Quantizer;
        Assert.True(q.InitializesOnFirstBatch);
        relu.Forward(Tensor.FromArray([0.3f, 1.2f, 0f, 2.5f], 1, 4));
        Assert.Equal(1.154701f, q.Step.ToArray()[0], 1e-5f);
        Assert.False(q.InitializesOnFirstBatch);
        relu.Forward(Tensor.FromArray([30f, 30f, 30f, 30f], 1, 4));   // later batches do not move it
        Assert.Equal(1.154701f, q.Step.ToArray()[0], 1e-5f);

        // A model rebuilt and loaded from a checkpoint keeps the loaded step.
        var again = new QuantReLU(LsqQuantizer.ForActivations(2));
        again.LoadStateDict(relu.StateDict());
        again.Forward(Tensor.FromArray([5f, 5f, 5f, 5f], 1, 4));
        Assert.Equal(1.154701f, ((LsqQuantizer)again.Quantizer).Step.ToArray()[0], 1e-5f);
    }

    [Fact]
    public void InitializeStep_IsTwiceMeanAbsOverSqrtQp()
    {
        // mean|v| = (3 + 0.6 + 0.1 + 0.7 + 2)/5 = 1.28; s = 2·1.28/sqrt(3) = 1.478017.
        var q = LsqQuantizer.ForWeights(3);
        q.InitializeStep(T(V));
        Assert.Equal(1.478017f, q.Step.ToArray()[0], 1e-5f);
    }

    [Fact]
    public void PerChannel_HasOneStepPerRow()
    {
        var q = LsqQuantizer.ForWeights(2, QuantGranularity.PerChannel, channels: 2);
        q.Step.AsSpan()[1] = 0.25f;   // row 0: s = 1, row 1: s = 0.25; Q_N = 2, Q_P = 1.
        // Row 0: [0.6, −3] → r [0.6, −3] → clamp [0.6, −2] → [1, −2] → [1, −2]. Row 1: [0.1, 1] → r [0.4, 4] → [0, 1] → [0, 0.25].
        Close([1f, -2f, 0f, 0.25f], q.Quantize(Tensor.FromArray([0.6f, -3f, 0.1f, 1f], 2, 2)).ToArray());
        var grid = q.Grid();
        Close([-2f, -1f, 0f, 1f], grid.Levels[0]);
        Close([-0.5f, -0.25f, 0f, 0.25f], grid.Levels[1]);
        Assert.Contains("channels: 3", Assert.Throws<ArgumentException>(() => q.Quantize(Tensor.Zeros(3, 2))).Message);
    }

    [Fact]
    public void RejectsBadInput()
    {
        Assert.Contains("bit width 1", Assert.Throws<ArgumentException>(() => LsqQuantizer.ForWeights(1)).Message);
        Assert.Contains("initialStep", Assert.Throws<ArgumentException>(() => LsqQuantizer.ForActivations(2, 0f)).Message);
    }
}
