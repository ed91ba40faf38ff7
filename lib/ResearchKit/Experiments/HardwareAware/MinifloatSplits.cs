using ResearchKit.Quantization.Minifloat;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// The default exponent/mantissa split of a b-bit minifloat for <see cref="MinifloatSegmentationRecipe"/> (the seed does not
/// state its split). Rule: 3 exponent bits from 6 bits up, 2 below, 4 at 8 bits; all signed, with subnormals, no infinity or
/// NaN except E4M3's, saturating, biased as the OCP formats are.
/// </summary>
/// <remarks>
/// <para>4 → E2M1 (OCP MX FP4, bias 1, max 6); 5 → E2M2 (bias 1, max 7; no OCP format); 6 → E3M2 (OCP MX FP6 E3M2, bias 3,
/// max 28); 7 → E3M3 (bias 3, max 30; no OCP format); 8 → E4M3 (OCP OFP8, bias 7, max 448).</para>
/// <para>Why E3M2 rather than E2M3 at 6 bits: the activations are rounded without a scale (a data-dependent scale would make
/// an image's output depend on its batch; <see cref="MinifloatSpecs"/>' default), so the format itself must cover the
/// post-ReLU range of a batch-normalized network (a few units, tails beyond 7.5, E2M3's maximum); E3M2 reaches 28 and still
/// has 4 values per binade. Weights are scaled per tensor by a power of two, for which either split works.</para>
/// <para><b>Unsigned activations</b> (<see cref="DefaultUnsigned"/>, used for the post-ReLU activations by default): E3M(b−3),
/// bias 3, subnormals, finite only, saturating, stored without its sign bit (the (b+1)-bit format, sign always 0). Why: the
/// same exponent field and bias as the signed 6-bit default E3M2, so the unscaled range stays that of the post-ReLU data
/// (about 2^−(M+2) to 31) at every width, and the freed sign bit goes to the mantissa; one rule for 4 to 8 bits, so a change
/// of width changes only the precision. 4 → uE3M1 (max 24), 5 → uE3M2 (28), 6 → uE3M3 (30), 7 → uE3M4 (31), 8 → uE3M5 (31.5).
/// Our choice; FormatComparison's search was not run on the U-Net's activations to pick it.</para>
/// </remarks>
public static class MinifloatSplits
{
    /// <summary>The default format of <paramref name="bits"/> bits.</summary>
    /// <exception cref="ArgumentException"><paramref name="bits"/> is outside [4, 8].</exception>
    public static MinifloatFormat Default(int bits) => bits switch
    {
        4 => E2M1,
        5 => E2M2,
        6 => MinifloatFormat.E3M2,
        7 => E3M3,
        8 => MinifloatFormat.E4M3,
        _ => throw new ArgumentException($"MinifloatSplits: no default minifloat of {bits} bits; use 4 to 8 bits, or pass a MinifloatFormat explicitly.", nameof(bits)),
    };

    /// <summary>The default unsigned activation format of <paramref name="bits"/> stored bits: E3M(bits−3), bias 3 (a
    /// (bits+1)-bit <see cref="MinifloatFormat"/>, for <see cref="MinifloatQuantizer"/>'s unsigned mode).</summary>
    /// <exception cref="ArgumentException"><paramref name="bits"/> is outside [4, 8].</exception>
    public static MinifloatFormat DefaultUnsigned(int bits) => bits is >= 4 and <= 8
        ? new MinifloatFormat(3, bits - 3, 3, true, MinifloatSpecials.FiniteOnly)
        : throw new ArgumentException($"MinifloatSplits: no default unsigned minifloat of {bits} bits; use 4 to 8 bits, or pass a MinifloatFormat explicitly.", nameof(bits));

    /// <summary>OCP MX FP4 E2M1: bias 1, subnormals, no infinity or NaN, max 6.</summary>
    public static MinifloatFormat E2M1 { get; } = new(2, 1, 1, true, MinifloatSpecials.FiniteOnly);

    /// <summary>E2M2: bias 1, subnormals, no infinity or NaN, max 7 (our 5-bit choice).</summary>
    public static MinifloatFormat E2M2 { get; } = new(2, 2, 1, true, MinifloatSpecials.FiniteOnly);

    /// <summary>E3M3: bias 3, subnormals, no infinity or NaN, max 30 (our 7-bit choice).</summary>
    public static MinifloatFormat E3M3 { get; } = new(3, 3, 3, true, MinifloatSpecials.FiniteOnly);
}
