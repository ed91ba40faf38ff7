namespace ResearchKit.Experiments.RobustQuantization;

/// <summary>
/// Settings a notebook changes on top of a <see cref="RobustEnResNetRecipe"/> preset (null: the preset's value). They enter the
/// run config like every other setting, so a run with overrides is a different stored run.
/// </summary>
public sealed record EnResNetOverrides
{
    /// <summary>SGD weight decay of every stage (the float run and the Binary-Relax fine-tuning), e.g. one that gives a short
    /// budget the paper's weight-decay horizon (<see cref="WeightDecayHorizon.Matching"/>).</summary>
    public double? WeightDecay { get; init; }

    /// <summary>ResNets in the ensemble.</summary>
    public int? Members { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Weight decay negative or not finite, or fewer than one member.</exception>
    public void Validate()
    {
        if (WeightDecay is double wd && !(wd >= 0 && double.IsFinite(wd)))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), wd, "EnResNetOverrides: the weight decay must be a finite number ≥ 0.");
        if (Members is int m && m < 1)
            throw new ArgumentOutOfRangeException(nameof(Members), m, "EnResNetOverrides: an ensemble needs at least one member.");
    }
}
