using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Fixed-point Qm.n quantizer (§2.5): step 2^−n, rounding to nearest, saturation to [−2^m, 2^m − 2^−n] when signed or
/// [0, 2^m − 2^−n] when unsigned.
/// </summary>
/// <remarks>
/// <para>
/// Convention: <b>m counts the integer bits without the sign bit</b>, so a signed Qm.n value takes 1 + m + n bits
/// (Q0.7 is the usual signed 8-bit fraction in [−1, 1 − 2^−7]) and an unsigned one m + n bits. The thesis names no
/// convention.
/// </para>
/// <para>Gradient: straight-through inside the saturation range (1 for lo ≤ x ≤ hi), 0 where it saturates.</para>
/// </remarks>
public sealed class FixedPointQuantizer : IQuantizer
{
    /// <summary>Creates a Qm.n quantizer.</summary>
    /// <param name="integerBits">m ≥ 0, integer bits excluding the sign bit.</param>
    /// <param name="fractionBits">n ≥ 0, fraction bits.</param>
    /// <param name="signed">Signed (default, two's complement range) or unsigned.</param>
    /// <exception cref="ArgumentException">m or n is negative, or the total width is outside [1, 16].</exception>
    public FixedPointQuantizer(int integerBits, int fractionBits, bool signed = true)
    {
        if (integerBits < 0) throw new ArgumentException($"FixedPointQuantizer: integer bits m = {integerBits} is negative; pass m ≥ 0 (the sign bit is not counted in m).", nameof(integerBits));
        if (fractionBits < 0) throw new ArgumentException($"FixedPointQuantizer: fraction bits n = {fractionBits} is negative; pass n ≥ 0.", nameof(fractionBits));
        IntegerBits = integerBits; FractionBits = fractionBits; Signed = signed;
        QuantArgs.BitWidth(nameof(FixedPointQuantizer), BitWidth);
    }

    /// <summary>m: integer bits, sign excluded.</summary>
    public int IntegerBits { get; }

    /// <summary>n: fraction bits.</summary>
    public int FractionBits { get; }

    /// <summary>Whether the range includes negative values.</summary>
    public bool Signed { get; }

    /// <summary>(signed ? 1 : 0) + m + n.</summary>
    public int BitWidth => (Signed ? 1 : 0) + IntegerBits + FractionBits;

    /// <summary>Always per tensor: the step is fixed.</summary>
    public QuantGranularity Granularity => QuantGranularity.PerTensor;

    /// <summary>2^−n.</summary>
    public float Step => MathF.ScaleB(1f, -FractionBits);

    /// <summary>Smallest value: −2^m (signed) or 0.</summary>
    public float Min => Signed ? -MathF.ScaleB(1f, IntegerBits) : 0f;

    /// <summary>Largest value: 2^m − 2^−n.</summary>
    public float Max => MathF.ScaleB(1f, IntegerBits) - Step;

    /// <summary>round(clamp(x, Min, Max)/2^−n)·2^−n; Min and Max lie on the grid, so clamping first keeps the result in range.</summary>
    public Tensor Quantize(Tensor x)
    {
        QuantArgs.Groups(nameof(FixedPointQuantizer), x, QuantGranularity.PerTensor);
        float scale = MathF.ScaleB(1f, FractionBits);
        return RoundSte.Apply(x.Clamp(Min, Max) * scale) / scale;
    }

    /// <summary>Levels Min, Min + 2^−n, …, Max (2^BitWidth of them).</summary>
    public QuantGrid Grid(Tensor? x = null) => QuantGrid.Uniform(Min, Step, 1 << BitWidth);
}
