namespace ResearchKit.Experiments.Chapter5;

/// <summary>
/// What a <see cref="DlQatRecipe"/> changes from its preset's settings (null: the preset's value). Every option is recorded in
/// the run's config, so a run with another option never reuses a stored one.
/// </summary>
public sealed record DlQatOptions
{
    /// <summary>GML margin α (Table 5.1 sweep); null: 0.7 (Table 5.1's best on CIFAR).</summary>
    public float? GmlAlpha { get; init; }
    /// <summary>AMS margin m (Table 5.2 sweep); null: 0.35 (Table 5.2's best float32).</summary>
    public float? AmsMargin { get; init; }
    /// <summary>Learning rate of both stages; null: §5.4.1's at paper (<see cref="QatTraining.PaperLr"/>), <see cref="QatTraining.QuickLr"/> at smoke and quick.</summary>
    public double? Lr { get; init; }
    /// <summary>Standard deviation of GML's means initialization N(0, std²); null: 1 (NS in the thesis).</summary>
    public float? GmlInitStd { get; init; }
    /// <summary>Training II's quantizers (default <see cref="QatMethod.Sat"/>, the thesis' own).</summary>
    public QatMethod Method { get; init; } = QatMethod.Sat;
    /// <summary>Standardize the inputs per channel after /255 (default false: §5.4.1 applies no standardization).</summary>
    public bool Standardize { get; init; }
    /// <summary>Random rescaling range of the paper preset's augmentation (§5.4.1 does not state it); null: (0.9, 1.1).</summary>
    public (double Min, double Max)? RescaleRange { get; init; }
    /// <summary>Dataset at quick and paper: "fashion-mnist", "cifar10" or "cifar100"; null: Fashion-MNIST at quick (a stand-in,
    /// CIFAR cannot be downloaded here), CIFAR-10 at paper. Smoke always uses the committed Fashion-MNIST sample.</summary>
    public string? Dataset { get; init; }
}
