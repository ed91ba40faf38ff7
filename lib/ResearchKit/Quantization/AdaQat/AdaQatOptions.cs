namespace ResearchKit.Quantization.AdaQat;

/// <summary>
/// Settings of AdaQAT (Gernigon et al. 2024, arXiv 2404.16876). Defaults come from the authors' public code where the paper
/// text was not available (see FACTS-adaqat.md, which says which value has which source); none is the paper's ResNet-20 setting.
/// </summary>
/// <param name="Lambda">λ, the cost weight. Default 0.02: the authors' BERT/SQuAD code (it drops to 0.01 for a per-layer
/// activation phase); the ResNet-20 value was not found.</param>
/// <param name="BitLearningRate">Learning rate of the relaxed widths (authors' code: 0.1 for weights and activations).</param>
/// <param name="InitialWeightBits">Initial N_w (authors' code: 4 per layer). Not found for ResNet-20.</param>
/// <param name="InitialActivationBits">Initial N_a (authors' code: 4). Not found for ResNet-20.</param>
/// <param name="MinBits">Smallest integer width, ≥ 2 (authors' code: N reset above 1.5, so 2 bits at least).</param>
/// <param name="MaxBits">Largest integer width, ≤ 16 (a choice; the code tracks widths up to 8).</param>
/// <param name="Granularity">Per network (default; the first phase of the authors' code) or per layer (simultaneous finite
/// differences, one extra forward per width: a choice, the code searches layers one at a time by a sensitivity order).</param>
/// <param name="CostKind">The hardware cost (default the product N_w·N_a, as the code's gradient implies).</param>
/// <param name="FreezeAfterIncreases">Freeze a width after more than this many rises from one integer value (code: 10); null: never.</param>
/// <param name="FreezeAtMinimum">Freeze a width that an update pushes below MinBits − 0.5 (code: yes).</param>
/// <param name="FirstLastBits">Fixed bits of the first conv, the last layer and its input activation (the kit's §5.4.1 rule, 8);
/// whether AdaQAT also learns them was not found.</param>
/// <param name="QuantizeResidualAdds">The kit's residual rule (see <see cref="QuantSpec.QuantizeResidualAdds"/>).</param>
/// <param name="PactInitialAlpha">PACT's initial α for the activation quantizers (the kit's default 10).</param>
/// <param name="FreezeSide">The width an oscillation between k and k + 1 freezes at: k + 1 in the authors' code (default), or
/// k, the relaxed objective's minimizer (<see cref="OscillationFreeze"/>); the paper's rule was not found.</param>
/// <param name="LearnWeights">Whether the weight widths are learned (default); false keeps them at ⌈InitialWeightBits⌉.</param>
/// <param name="LearnActivations">Whether the activation widths are learned (default); false keeps them at ⌈InitialActivationBits⌉
/// (e.g. mixed-precision weights at a fixed activation width).</param>
public sealed record AdaQatOptions(
    double Lambda = 0.02,
    double BitLearningRate = 0.1,
    double InitialWeightBits = 4,
    double InitialActivationBits = 4,
    int MinBits = 2,
    int MaxBits = 8,
    BitWidthGranularity Granularity = BitWidthGranularity.PerNetwork,
    AdaQatCostKind CostKind = AdaQatCostKind.BitProduct,
    int? FreezeAfterIncreases = 10,
    bool FreezeAtMinimum = true,
    int FirstLastBits = 8,
    bool QuantizeResidualAdds = true,
    float PactInitialAlpha = 10f,
    OscillationFreeze FreezeSide = OscillationFreeze.AfterRise,
    bool LearnWeights = true,
    bool LearnActivations = true)
{
    /// <summary>The cost term these options define.</summary>
    public AdaQatCost Cost => new(CostKind, Lambda);

    /// <summary>Checks every setting and returns this.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it and the allowed range.</exception>
    public AdaQatOptions Validated()
    {
        if (!(Lambda >= 0) || !double.IsFinite(Lambda)) throw new ArgumentException($"AdaQatOptions: Lambda must be finite and ≥ 0, got {Lambda}.");
        if (!(BitLearningRate >= 0) || !double.IsFinite(BitLearningRate)) throw new ArgumentException($"AdaQatOptions: BitLearningRate must be finite and ≥ 0, got {BitLearningRate}.");
        if (MinBits < 2 || MaxBits > 16 || MinBits > MaxBits)
            throw new ArgumentException($"AdaQatOptions: need 2 ≤ MinBits ≤ MaxBits ≤ 16, got [{MinBits}, {MaxBits}] (the finite difference evaluates one bit below the current width).");
        if (!double.IsFinite(InitialWeightBits) || !double.IsFinite(InitialActivationBits))
            throw new ArgumentException($"AdaQatOptions: initial widths must be finite, got N_w = {InitialWeightBits}, N_a = {InitialActivationBits}.");
        if (FreezeAfterIncreases is < 0) throw new ArgumentException($"AdaQatOptions: FreezeAfterIncreases must be ≥ 0 or null, got {FreezeAfterIncreases}.");
        if (FirstLastBits < 1 || FirstLastBits > 16) throw new ArgumentException($"AdaQatOptions: FirstLastBits must be in [1, 16], got {FirstLastBits}.");
        if (!LearnWeights && !LearnActivations) throw new ArgumentException("AdaQatOptions: LearnWeights and LearnActivations are both false, so nothing is learned; use fixed-precision QAT (DlQatRecipe) for that, or learn one of them.");
        if (!Enum.IsDefined(FreezeSide)) throw new ArgumentException($"AdaQatOptions: unknown FreezeSide {FreezeSide}; use AfterRise or AtBoundary.");
        if (!(PactInitialAlpha > 0)) throw new ArgumentException($"AdaQatOptions: PactInitialAlpha must be > 0, got {PactInitialAlpha}.");
        return this;
    }
}
