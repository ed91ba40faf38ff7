namespace ResearchKit.Experiments.Chapter6;

/// <summary>
/// What an <see cref="EhdMemberRecipe"/> changes from its preset's settings (null: the preset's value). Every option is
/// recorded in the run's config.
/// </summary>
public sealed record EhdMemberOptions
{
    /// <summary>Dataset at quick and paper: "cifar100" (paper default, §6.5.1), "cifar10" or "fashion-mnist" (quick default).</summary>
    public string? Dataset { get; init; }
    /// <summary>Learning rate; null: §6.5.1's (0.1 for CE and GML, 0.01 for MMC).</summary>
    public double? Lr { get; init; }
    /// <summary>SGD weight decay; null: 5e-4 (thesis silent, see <see cref="EhdMemberRecipe"/>).</summary>
    public double? WeightDecay { get; init; }
    /// <summary>Batch size; null: 128 (thesis silent).</summary>
    public int? BatchSize { get; init; }
    /// <summary>Epochs at quick; null: <see cref="EhdMemberRecipe.QuickEpochs"/>.</summary>
    public int? QuickEpochs { get; init; }
    /// <summary>GML margin α; null: 0.3 (§6.5.1).</summary>
    public float? GmlAlpha { get; init; }
}
