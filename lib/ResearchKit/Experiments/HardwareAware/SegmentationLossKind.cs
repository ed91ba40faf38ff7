namespace ResearchKit.Experiments.HardwareAware;

/// <summary>The training loss of <see cref="MinifloatSegmentationRecipe"/>.</summary>
public enum SegmentationLossKind
{
    /// <summary>BCE on logits + soft Dice, weights 1 and 1 (<see cref="Losses.BceDiceLoss"/>; default).</summary>
    BceDice,

    /// <summary>Pixel-wise BCE on logits alone.</summary>
    Bce,
}
