using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Losses;

/// <summary>
/// Weighted sum of pixel-wise binary cross-entropy on logits and the soft Dice loss,
/// <c>bceWeight · BCEWithLogits(mean over pixels) + diceWeight · SoftDice(mean over samples)</c>: the combination most
/// Airbus Ship Detection U-Nets train with (BCE for per-pixel calibration, Dice against the background's dominance).
/// </summary>
/// <remarks>
/// The BCE term is the engine's <see cref="Functional.BinaryCrossEntropyWithLogits"/> (PyTorch's numerically stable
/// form). Weights default to 1 and 1, the common choice (the Thin U-Net 32 paper's loss is not stated in its abstract).
/// Shape: logits and target Float32 (N, …) of the same shape; output 0-d.
/// </remarks>
public sealed class BceDiceLoss : Loss
{
    private readonly SoftDiceLoss _dice;

    /// <summary>Weight of the BCE term.</summary>
    public float BceWeight { get; }
    /// <summary>Weight of the Dice term.</summary>
    public float DiceWeight { get; }

    /// <summary>Creates the loss.</summary>
    /// <param name="bceWeight">Weight of BCE (≥ 0, default 1).</param>
    /// <param name="diceWeight">Weight of Dice (≥ 0, default 1).</param>
    /// <param name="smooth">Dice smoothing (≥ 0, default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A weight or the smoothing is negative or not finite.</exception>
    public BceDiceLoss(float bceWeight = 1f, float diceWeight = 1f, float smooth = 1f) : base("mean")
    {
        LossArgs.AtLeast(nameof(BceDiceLoss), nameof(bceWeight), bceWeight, 0f);
        LossArgs.AtLeast(nameof(BceDiceLoss), nameof(diceWeight), diceWeight, 0f);
        BceWeight = bceWeight; DiceWeight = diceWeight;
        _dice = new SoftDiceLoss(smooth);
    }

    /// <summary>The loss of <paramref name="input"/> logits against the <paramref name="target"/> mask.</summary>
    /// <exception cref="ArgumentException">Dtypes or shapes do not fit.</exception>
    public override Tensor Forward(Tensor input, Tensor target)
    {
        SegmentationArgs.LogitsAndMask(nameof(BceDiceLoss), input, target);
        var bce = Functional.BinaryCrossEntropyWithLogits(input, target);
        return BceWeight * bce + DiceWeight * _dice.Forward(input, target);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"bce_weight={LossArgs.Repr(BceWeight)}, dice_weight={LossArgs.Repr(DiceWeight)}, smooth={LossArgs.Repr(_dice.Smooth)}";
}
