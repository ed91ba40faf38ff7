using ResearchKit.Quantization.AdaQat;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// What an <see cref="AdaQatRecipe"/> changes from its preset's settings (null: the preset's value, see
/// <see cref="AdaQatRecipe.Training"/>). Every value ends up in the run's config, so a run with another value never reuses a stored one.
/// </summary>
public sealed record AdaQatOverrides
{
    /// <summary>λ, the weight of the bit cost.</summary>
    public double? Lambda { get; init; }
    /// <summary>Learning rate of the relaxed bit widths.</summary>
    public double? BitLearningRate { get; init; }
    /// <summary>Initial relaxed weight width N_w.</summary>
    public double? InitialWeightBits { get; init; }
    /// <summary>Initial relaxed activation width N_a.</summary>
    public double? InitialActivationBits { get; init; }
    /// <summary>Smallest integer width.</summary>
    public int? MinBits { get; init; }
    /// <summary>Largest integer width.</summary>
    public int? MaxBits { get; init; }
    /// <summary>The cost whose gradient moves the widths.</summary>
    public AdaQatCostKind? CostKind { get; init; }
    /// <summary>The width an oscillation between k and k + 1 freezes at.</summary>
    public OscillationFreeze? FreezeSide { get; init; }
    /// <summary>Whether the activation widths are learned (false: fixed at the initial activation width).</summary>
    public bool? LearnActivations { get; init; }
    /// <summary>Training steps of the run (at paper, null keeps the epoch count).</summary>
    public long? Steps { get; init; }
}
