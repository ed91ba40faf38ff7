namespace ResearchKit.Quantization;

/// <summary>
/// Uniform integer quantization of a real range [min, max] on B bits (§2.5.3, Eqs. 2.20–2.23, Fig. 2.15):
/// scale S = (max − min)/(2^B − 1), zero point Z = round(−min/S), integer q = round(r/S) + Z, back r ≈ (q − Z)·S.
/// </summary>
/// <remarks>
/// The thesis' Eq. 2.20 has <b>no zero point</b>: its worked example r = 1.75 in [−2.5, 3], B = 8 gives
/// q = round(1.75·255/5.5) = round(81.14) = 81, which is <see cref="QuantizeScaleOnly"/>. The affine form with the zero
/// point (<see cref="Quantize"/>) maps the same r to 81 + 116 = 197 ∈ [0, 255]. Rounding is to nearest, ties to even.
/// </remarks>
public sealed class UniformAffine
{
    /// <summary>Creates the quantizer for [<paramref name="min"/>, <paramref name="max"/>] on <paramref name="bitWidth"/> bits.</summary>
    /// <exception cref="ArgumentException">The bit width is outside [1, 16], or min ≥ max, or a bound is not finite.</exception>
    public UniformAffine(float min, float max, int bitWidth)
    {
        QuantArgs.BitWidth(nameof(UniformAffine), bitWidth);
        if (!float.IsFinite(min) || !float.IsFinite(max) || !(min < max))
            throw new ArgumentException($"UniformAffine: the range [{min}, {max}] is empty or not finite; pass finite min < max.", nameof(min));
        Min = min; Max = max; BitWidth = bitWidth;
        Scale = (max - min) / ((1 << bitWidth) - 1);
        ZeroPoint = (int)MathF.Round(-min / Scale, MidpointRounding.ToEven);
    }

    /// <summary>Lower end of the real range.</summary>
    public float Min { get; }

    /// <summary>Upper end of the real range.</summary>
    public float Max { get; }

    /// <summary>B.</summary>
    public int BitWidth { get; }

    /// <summary>S = (max − min)/(2^B − 1).</summary>
    public float Scale { get; }

    /// <summary>Z = round(−min/S): the integer that represents the real 0.</summary>
    public int ZeroPoint { get; }

    /// <summary>round(r/S): the thesis' Eq. 2.20 as printed, without zero point (may be negative).</summary>
    public int QuantizeScaleOnly(float r) => (int)MathF.Round(r / Scale, MidpointRounding.ToEven);

    /// <summary>round(r/S) + Z, saturated to [0, 2^B − 1].</summary>
    public int Quantize(float r) => Math.Clamp(QuantizeScaleOnly(r) + ZeroPoint, 0, (1 << BitWidth) - 1);

    /// <summary>(q − Z)·S.</summary>
    public float Dequantize(int q) => (q - ZeroPoint) * Scale;
}
