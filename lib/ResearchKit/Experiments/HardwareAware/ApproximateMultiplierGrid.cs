using ResearchKit.Quantization.Approximate;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// What <see cref="ApproximateMultiplierEvaluation"/> measures: the multipliers, the number of test images and the evaluation
/// batch size (recorded in the key because the approximate layers derive their input scale from each call's batch).
/// </summary>
/// <param name="Images">Test images evaluated.</param>
/// <param name="BatchSize">Images per forward pass; the input scale of every approximate layer is max|x| over that batch.</param>
/// <param name="Multipliers">The multipliers, the exact 8-bit one first as the reference.</param>
/// <param name="InputMode">How the approximate layers quantize their inputs.</param>
public sealed record ApproximateMultiplierGrid(int Images, int BatchSize, IReadOnlyList<IApproximateMultiplier> Multipliers,
    ApproximateInputMode InputMode = ApproximateInputMode.Auto)
{
    /// <summary>
    /// Exact int8 (the reference), DRUM with k = 3, 4, 5, 6, Mitchell, and truncation of 4, 6 and 8 of the 15 partial-product
    /// columns without correction: the designs of FACTS-approx (all 8-bit, sign-magnitude). The truncation depths are our choice
    /// (from nearly exact to half the columns).
    /// </summary>
    public static IReadOnlyList<IApproximateMultiplier> Standard() =>
    [
        new ExactMultiplier(8),
        new DrumMultiplier(3), new DrumMultiplier(4), new DrumMultiplier(5), new DrumMultiplier(6),
        new MitchellMultiplier(8),
        new TruncatedMultiplier(4), new TruncatedMultiplier(6), new TruncatedMultiplier(8),
    ];

    /// <summary>
    /// The grid of <paramref name="preset"/> with <see cref="Standard"/> multipliers. No source fixes these sizes (not stated;
    /// our choice): <b>smoke</b> 8 images in one batch; <b>quick</b> 500 test images in batches of 100 (table-lookup products
    /// are far slower than float GEMMs: about a minute per multiplier for a small CNN on 2 cores); <b>paper</b> the whole
    /// 10,000-image test set in batches of 100.
    /// </summary>
    public static ApproximateMultiplierGrid For(Preset preset) => preset switch
    {
        Preset.Smoke => new(8, 8, Standard()),
        Preset.Quick => new(500, 100, Standard()),
        _ => new(10_000, 100, Standard()),
    };

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A count below 1, no multiplier, or two multipliers with the same name.</exception>
    public ApproximateMultiplierGrid Validated()
    {
        if (Images < 1) throw new ArgumentException($"ApproximateMultiplierGrid: Images = {Images}; evaluate at least one image.", nameof(Images));
        if (BatchSize < 1) throw new ArgumentException($"ApproximateMultiplierGrid: BatchSize = {BatchSize}; pass ≥ 1 (e.g. 100).", nameof(BatchSize));
        if (Multipliers is null || Multipliers.Count == 0) throw new ArgumentException("ApproximateMultiplierGrid: give at least one multiplier, e.g. Standard().", nameof(Multipliers));
        var dup = Multipliers.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"ApproximateMultiplierGrid: two multipliers are named '{dup.Key}'; names key the rows, give each once.", nameof(Multipliers));
        if (!Enum.IsDefined(InputMode)) throw new ArgumentException($"ApproximateMultiplierGrid: unknown input mode {InputMode}.", nameof(InputMode));
        return this;
    }
}
