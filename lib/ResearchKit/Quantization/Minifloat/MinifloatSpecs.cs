namespace ResearchKit.Quantization.Minifloat;

/// <summary>
/// <see cref="QuantSpec"/>s whose weights and activations are minifloats, for <see cref="ModelQuantizer.Quantize"/>.
/// </summary>
/// <remarks>
/// QuantSpec asks its factories for a quantizer by bit width only, so this maps a width to a format: the weight (or
/// activation) format's width gives that format, <see cref="QuantSpec.FirstLastBits"/> gives the first/last-layer format
/// (OCP E4M3 by default, the 8-bit analogue of §5.4.1's 8-bit first and last layers). When both widths are equal the main
/// format is used everywhere. A helper rather than a QuantSpec factory, to keep QuantSpec free of this namespace.
/// </remarks>
public static class MinifloatSpecs
{
    /// <summary>Minifloat weights and activations, rounded to nearest even.</summary>
    /// <param name="weights">Format of the weights (BitWidth ≤ 16, ModelQuantizer's limit).</param>
    /// <param name="activations">Format of the activations (BitWidth ≤ 16).</param>
    /// <param name="firstLast">Format of the first conv, the last layer and its input; null for <see cref="MinifloatFormat.E4M3"/>.</param>
    /// <param name="weightScaling">Default power of two from max|w| (a small weight would otherwise fall below a 6-bit format's smallest value).</param>
    /// <param name="activationScaling">Default none (a data-dependent scale would make a sample's output depend on its batch).</param>
    /// <param name="quantizeResidualAdds">As <see cref="QuantSpec.QuantizeResidualAdds"/>.</param>
    /// <exception cref="ArgumentNullException">A format is null.</exception>
    /// <exception cref="ArgumentException">A format is wider than 16 bits.</exception>
    public static QuantSpec Create(MinifloatFormat weights, MinifloatFormat activations, MinifloatFormat? firstLast = null,
        MinifloatScaling weightScaling = MinifloatScaling.PowerOfTwoFromMax, MinifloatScaling activationScaling = MinifloatScaling.None,
        bool quantizeResidualAdds = true)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(activations);
        var fl = firstLast ?? MinifloatFormat.E4M3;
        foreach (var (f, name) in new[] { (weights, nameof(weights)), (activations, nameof(activations)), (fl, nameof(firstLast)) })
            if (f.BitWidth > QuantArgs.MaxUniformBits)
                throw new ArgumentException($"MinifloatSpecs.Create: {name} format {f.Name} takes {f.BitWidth} bits, more than ModelQuantizer's {QuantArgs.MaxUniformBits}; use a narrower format.", name);
        return new QuantSpec(weights.BitWidth, activations.BitWidth,
            (bits, _) => new MinifloatQuantizer(Pick(bits, weights, fl), weightScaling),
            bits => new MinifloatQuantizer(Pick(bits, activations, fl), activationScaling),
            FirstLastBits: fl.BitWidth, QuantizeResidualAdds: quantizeResidualAdds);
    }

    private static MinifloatFormat Pick(int bits, MinifloatFormat main, MinifloatFormat firstLast) =>
        bits == main.BitWidth ? main
        : bits == firstLast.BitWidth ? firstLast
        : throw new ArgumentException($"MinifloatSpecs: no minifloat format of {bits} bits in this spec (main {main.Name}, first/last {firstLast.Name}); ask for one of their widths.", nameof(bits));
}
