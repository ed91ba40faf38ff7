using ResearchKit.Tensors;

namespace ResearchKit.Quantization.Analysis;

/// <summary>
/// How far quantized values are from the real ones: mean squared error, signal-to-quantization-noise ratio and the
/// largest absolute error (the accuracy side of the FxP vs FlP comparison of "Customizing number representation and
/// precision", arXiv 2212.04184).
/// </summary>
/// <param name="Mse">Σ(x − q)²/n.</param>
/// <param name="SqnrDb">10·log10(Σx² / Σ(x − q)²) in dB; +∞ when there is no error, −∞ for a zero signal with error.</param>
/// <param name="MaxAbsError">max |x − q|.</param>
/// <param name="Count">n, the number of values compared.</param>
public sealed record QuantizationError(double Mse, double SqnrDb, double MaxAbsError, int Count)
{
    /// <summary>The error of <paramref name="quantizer"/> on <paramref name="x"/>, quantized without recording gradients.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">x is empty or the quantizer rejects it.</exception>
    public static QuantizationError Of(IQuantizer quantizer, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(quantizer);
        ArgumentNullException.ThrowIfNull(x);
        Tensor q;
        using (Torch.NoGrad()) q = quantizer.Quantize(x);
        return Between(x.ToArray(), q.ToArray());
    }

    /// <summary>The error of <paramref name="quantized"/> against <paramref name="reference"/>, summed in double.</summary>
    /// <exception cref="ArgumentException">The arrays are empty or of different lengths.</exception>
    public static QuantizationError Between(ReadOnlySpan<float> reference, ReadOnlySpan<float> quantized)
    {
        if (reference.Length != quantized.Length)
            throw new ArgumentException($"QuantizationError: {reference.Length} reference values but {quantized.Length} quantized ones; pass arrays of the same length.", nameof(quantized));
        if (reference.Length == 0)
            throw new ArgumentException("QuantizationError: no values to compare; pass at least one.", nameof(reference));
        double signal = 0, noise = 0, maxAbs = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double x = reference[i], e = x - quantized[i];
            signal += x * x; noise += e * e;
            maxAbs = Math.Max(maxAbs, Math.Abs(e));
        }
        double sqnr = noise == 0 ? double.PositiveInfinity
            : signal == 0 ? double.NegativeInfinity
            : 10 * Math.Log10(signal / noise);
        return new QuantizationError(noise / reference.Length, sqnr, maxAbs, reference.Length);
    }
}
