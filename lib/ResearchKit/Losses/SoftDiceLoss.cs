using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Losses;

/// <summary>
/// Soft Dice loss of binary segmentation logits (Milletari et al. 2016, "V-Net", 3DV, with the squared denominators
/// replaced by plain sums as in most segmentation code): per sample n, with p = sigmoid(logits),
/// <c>L_n = 1 − (2·Σ p·t + s) / (Σ p + Σ t + s)</c>, sums over every element of the sample (channels and pixels).
/// </summary>
/// <remarks>
/// <para>The smoothing s (default 1) keeps the loss defined on an empty mask with an empty prediction (it is then 0) and
/// softens the gradient of tiny objects; it is the common choice, not a value from the Thin U-Net 32 paper, which does
/// not state its loss in the abstract.</para>
/// <para>Dice is a per-image overlap, so unlike pixel-wise BCE it is insensitive to how much background there is:
/// useful for ships, which cover a tiny share of a satellite tile. Combine both with <see cref="BceDiceLoss"/>.</para>
/// <para>Shape: logits and target Float32 (N, …) of the same shape, target in [0, 1]; output 0-d ("mean", "sum") or (N) ("none").</para>
/// </remarks>
public sealed class SoftDiceLoss : Loss
{
    /// <summary>Smoothing s added to numerator and denominator.</summary>
    public float Smooth { get; }

    /// <summary>Creates the loss.</summary>
    /// <param name="smooth">Smoothing s ≥ 0 (default 1); 0 makes an empty mask with an empty prediction undefined.</param>
    /// <param name="reduction">"mean" (default), "sum" or "none" over the samples.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="smooth"/> is negative or not finite.</exception>
    /// <exception cref="ArgumentException">Unknown reduction.</exception>
    public SoftDiceLoss(float smooth = 1f, string reduction = "mean") : base(reduction)
    {
        LossArgs.AtLeast(nameof(SoftDiceLoss), nameof(smooth), smooth, 0f);
        Smooth = smooth;
    }

    /// <summary>The loss of <paramref name="input"/> logits against the <paramref name="target"/> mask.</summary>
    /// <exception cref="ArgumentException">Dtypes or shapes do not fit.</exception>
    public override Tensor Forward(Tensor input, Tensor target)
    {
        SegmentationArgs.LogitsAndMask(nameof(SoftDiceLoss), input, target);
        int n = input.Size(0);
        var p = input.Sigmoid().Reshape(n, -1);
        var t = target.Reshape(n, -1);
        var inter = (p * t).Sum([1]);
        var denom = p.Sum([1]) + t.Sum([1]);
        var perSample = 1f - (2f * inter + Smooth) / (denom + Smooth);
        return LossArgs.Reduce(perSample, Reduction);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"smooth={LossArgs.Repr(Smooth)}";
}
