namespace ResearchKit.Quantization.AdaQat;

/// <summary>
/// Which integer width a <see cref="LearnedBitWidth"/> keeps when the freeze rule stops it oscillating between k and k + 1.
/// </summary>
/// <remarks>
/// With ⌈N⌉ and the backward difference L(⌈N⌉) − L(⌈N⌉ − 1), the relaxed objective is the piecewise-linear interpolation of the
/// integer widths' losses plus the cost; an oscillation across the boundary N = k means its minimum is at the kink N = k, whose
/// width is ⌈k⌉ = k. The authors' code freezes on the update that makes a rise, so it keeps N just above k, hence k + 1 bits.
/// Which rule the paper uses was not found (FACTS-adaqat.md): both are offered.
/// </remarks>
public enum OscillationFreeze
{
    /// <summary>Keep N where the rise left it (just above k): k + 1 bits. The authors' public code.</summary>
    AfterRise,

    /// <summary>Set N to the boundary k it oscillates around (the relaxed objective's minimizer): k bits. Our choice, not the code's.</summary>
    AtBoundary,
}
