namespace ResearchKit.Quantization.Minifloat;

/// <summary>
/// <see cref="QuantSpec"/>s whose weights and activations are minifloats, for <see cref="ModelQuantizer.Quantize"/>.
/// </summary>
/// <remarks>
/// QuantSpec asks its factories for a quantizer by bit width only, so this maps a width to a format: the weight (or
/// activation) format's width gives that format, <see cref="QuantSpec.FirstLastBits"/> gives the first/last-layer format
/// (OCP E4M3 by default, the 8-bit analogue of §5.4.1's 8-bit first and last layers). When both widths are equal the main
/// format is used everywhere. A helper rather than a QuantSpec factory, to keep QuantSpec free of this namespace.
/// With <c>unsignedActivations</c> every activation quantizer is an unsigned <see cref="MinifloatQuantizer"/>: the
/// activation formats are then (b+1)-bit formats whose sign bit is not stored, and their width for the spec is b. Every site
/// <see cref="ModelQuantizer"/> gives an activation quantizer is non-negative (a ReLU output, or a conv input fed by one).
/// </remarks>
public static class MinifloatSpecs
{
    /// <summary>E4M3's exponent and bias with the freed sign bit as a fourth mantissa bit (bias 7, finite only, max 496): the
    /// default unsigned 8-bit first/last activation format (our choice, mirroring the signed E4M3 default).</summary>
    public static MinifloatFormat UnsignedE4M4 { get; } = new(4, 4, 7, true, MinifloatSpecials.FiniteOnly);

    /// <summary>Minifloat weights and activations, rounded to nearest even.</summary>
    /// <param name="weights">Format of the weights (BitWidth ≤ 16, ModelQuantizer's limit).</param>
    /// <param name="activations">Format of the activations (BitWidth ≤ 16; with <paramref name="unsignedActivations"/>, the (b+1)-bit format of b-bit activations).</param>
    /// <param name="firstLast">Format of the first conv, the last layer and its input; null for <see cref="MinifloatFormat.E4M3"/>.</param>
    /// <param name="weightScaling">Default power of two from max|w| (a small weight would otherwise fall below a 6-bit format's smallest value).</param>
    /// <param name="activationScaling">Default none (a data-dependent scale would make a sample's output depend on its batch).</param>
    /// <param name="quantizeResidualAdds">As <see cref="QuantSpec.QuantizeResidualAdds"/>.</param>
    /// <param name="unsignedActivations">True: unsigned activation quantizers (no sign bit; negatives clamp to 0).</param>
    /// <param name="firstLastActivations">Format of the activation feeding the last layer when <paramref name="unsignedActivations"/>
    /// (null: <see cref="UnsignedE4M4"/>); ignored otherwise (<paramref name="firstLast"/> is used).</param>
    /// <exception cref="ArgumentNullException">A format is null.</exception>
    /// <exception cref="ArgumentException">A format is wider than 16 bits (17 for unsigned activation formats).</exception>
    public static QuantSpec Create(MinifloatFormat weights, MinifloatFormat activations, MinifloatFormat? firstLast = null,
        MinifloatScaling weightScaling = MinifloatScaling.PowerOfTwoFromMax, MinifloatScaling activationScaling = MinifloatScaling.None,
        bool quantizeResidualAdds = true, bool unsignedActivations = false, MinifloatFormat? firstLastActivations = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(activations);
        var fl = firstLast ?? MinifloatFormat.E4M3;
        var flAct = unsignedActivations ? firstLastActivations ?? UnsignedE4M4 : fl;
        int unsignedDrop = unsignedActivations ? 1 : 0;
        foreach (var (f, name, drop) in new[] { (weights, nameof(weights), 0), (fl, nameof(firstLast), 0), (activations, nameof(activations), unsignedDrop), (flAct, nameof(firstLastActivations), unsignedDrop) })
            if (f.BitWidth - drop > QuantArgs.MaxUniformBits)
                throw new ArgumentException($"MinifloatSpecs.Create: {name} format {f.Name} takes {f.BitWidth - drop} bits, more than ModelQuantizer's {QuantArgs.MaxUniformBits}; use a narrower format.", name);
        return new QuantSpec(weights.BitWidth, activations.BitWidth - unsignedDrop,
            (bits, _) => new MinifloatQuantizer(Pick(bits, weights, fl, 0), weightScaling),
            bits => new MinifloatQuantizer(Pick(bits, activations, flAct, unsignedDrop), activationScaling, unsigned: unsignedActivations),
            FirstLastBits: fl.BitWidth, QuantizeResidualAdds: quantizeResidualAdds);
    }

    // drop = 1 for unsigned formats, whose stored width is one less than the format's.
    private static MinifloatFormat Pick(int bits, MinifloatFormat main, MinifloatFormat firstLast, int drop) =>
        bits == main.BitWidth - drop ? main
        : bits == firstLast.BitWidth - drop ? firstLast
        : throw new ArgumentException($"MinifloatSpecs: no minifloat format of {bits} bits in this spec (main {main.Name}, first/last {firstLast.Name}{(drop == 1 ? ", unsigned" : "")}); ask for one of their widths.", nameof(bits));
}
