using ResearchKit.Attacks;
using ResearchKit.Attacks.SideChannel;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// The settings of <see cref="SideChannelAttackEvaluation"/>: images, trace counts T, the side channel, and the budgets of SPSA
/// and Square. Coqueret et al. (arXiv:2311.14005) publish none of these values that we could find (FACTS-sca.md), so every
/// preset value is our choice.
/// </summary>
/// <param name="Images">Test images attacked (the first ones of the data).</param>
/// <param name="Traces">Trace counts T averaged per query, one side-channel evaluation each.</param>
/// <param name="Leakage">The side channel (its Traces is replaced by each T).</param>
/// <param name="SpsaSamples">SPSA's perturbation pairs per step n.</param>
/// <param name="SpsaIterations">SPSA's Adam steps.</param>
/// <param name="SquareQueries">Square's query budget per image.</param>
/// <param name="Threat">The threat model (L∞).</param>
/// <param name="BatchSize">Images per call of the attack (recorded in the key).</param>
/// <param name="AttackSeed">Seed of the attacks' random draws.</param>
/// <param name="LeakageSeed">Seed of the side channel's noise.</param>
public sealed record SideChannelAttackGrid(int Images, IReadOnlyList<int> Traces, LeakageModel Leakage, int SpsaSamples, int SpsaIterations,
    int SquareQueries, ThreatModel Threat, int BatchSize, long AttackSeed = 0, long LeakageSeed = 0)
{
    /// <summary>
    /// Default side channel (our choice): noise σ relative to the logits' RMS, σ = 1 (an SNR of 1 per trace, so T traces give
    /// √T), known gain and offset, no ADC.
    /// </summary>
    public static LeakageModel DefaultLeakage { get; } = new() { NoiseSigma = 1.0, Scale = NoiseScale.RelativeToLogits };

    /// <summary>
    /// The grid of <paramref name="preset"/> (all sizes our choice). <b>smoke</b>: 4 images, T ∈ {1, 4}, SPSA n = 2 for 2 steps,
    /// Square 5 queries. <b>quick</b>: 50 images, T ∈ {1, 4, 16, 64}, SPSA n = 8 for 20 steps (320 queries per image), Square 200
    /// queries; about 150,000 forward passes in all (a few minutes for a small CNN on 2 cores). <b>paper</b>: 1,000 images,
    /// T ∈ {1, 2, 4, …, 64}, SPSA as the thesis' strongest setting (n = 128, 100 steps, App. B), Square 10,000 queries
    /// (Andriushchenko et al.).
    /// </summary>
    /// <param name="preset">The preset.</param>
    /// <param name="threat">The threat model (default <see cref="ThreatModel.Thesis"/>: L∞, ε = 8/255, inputs in [0, 1]).</param>
    /// <param name="leakage">The side channel (default <see cref="DefaultLeakage"/>).</param>
    public static SideChannelAttackGrid For(Preset preset, ThreatModel? threat = null, LeakageModel? leakage = null)
    {
        var t = threat ?? ThreatModel.Thesis;
        var l = leakage ?? DefaultLeakage;
        return preset switch
        {
            Preset.Smoke => new(4, [1, 4], l, 2, 2, 5, t, 4),
            Preset.Quick => new(50, [1, 4, 16, 64], l, 8, 20, 200, t, 50),
            _ => new(1000, [1, 2, 4, 8, 16, 32, 64], l, 128, 100, 10_000, t, 100),
        };
    }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A count below 1, no trace count, a repeated one, or a bad leakage setting.</exception>
    public SideChannelAttackGrid Validated()
    {
        if (Images < 1) throw new ArgumentException($"SideChannelAttackGrid: Images = {Images}; attack at least one image.", nameof(Images));
        if (Traces is null || Traces.Count == 0 || Traces.Any(t => t < 1) || Traces.Distinct().Count() != Traces.Count)
            throw new ArgumentException($"SideChannelAttackGrid: give distinct trace counts T ≥ 1, e.g. [1, 4, 16, 64]; got [{string.Join(", ", Traces ?? [])}].", nameof(Traces));
        ArgumentNullException.ThrowIfNull(Leakage);
        Leakage.Validated();
        ArgumentNullException.ThrowIfNull(Threat);
        Threat.Validated();
        if (SpsaSamples < 1 || SpsaIterations < 1 || SquareQueries < 1)
            throw new ArgumentException($"SideChannelAttackGrid: SPSA samples ({SpsaSamples}), SPSA iterations ({SpsaIterations}) and Square queries ({SquareQueries}) must be ≥ 1.", nameof(SpsaSamples));
        if (BatchSize < 1) throw new ArgumentException($"SideChannelAttackGrid: BatchSize = {BatchSize}; pass ≥ 1.", nameof(BatchSize));
        return this;
    }

    /// <summary>SPSA on <paramref name="oracle"/> with this grid's budget.</summary>
    public Spsa Spsa(IScoreOracle oracle) => new(oracle, Threat, samples: SpsaSamples, iterations: SpsaIterations, seed: AttackSeed);

    /// <summary>Square on <paramref name="oracle"/> with this grid's budget.</summary>
    public SquareAttack Square(IScoreOracle oracle) => new(oracle, Threat, queryBudget: SquareQueries, seed: AttackSeed);
}
