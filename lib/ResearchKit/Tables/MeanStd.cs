namespace ResearchKit.Tables;

/// <summary>Mean and standard deviation of replicated measurements (typically one per seed).</summary>
/// <param name="Mean">Arithmetic mean of the samples.</param>
/// <param name="Std">Sample standard deviation (Bessel-corrected, divisor n − 1); 0 for a single sample.</param>
/// <param name="Count">Number of samples; 0 when unknown (e.g. read back from CSV).</param>
public readonly record struct MeanStd(double Mean, double Std, int Count = 0)
{
    /// <summary>Mean and sample standard deviation (divisor n − 1, like <c>torch.std</c> and pandas) of <paramref name="samples"/>.</summary>
    /// <param name="samples">At least one value; NaN propagates to both results.</param>
    /// <exception cref="ArgumentException">No samples.</exception>
    public static MeanStd FromSamples(ReadOnlySpan<double> samples)
    {
        if (samples.Length == 0)
            throw new ArgumentException("MeanStd.FromSamples: no samples; pass at least one replicate (e.g. one value per seed).", nameof(samples));
        double sum = 0;
        foreach (var s in samples) sum += s;
        double mean = sum / samples.Length;
        if (samples.Length == 1) return new MeanStd(mean, double.IsNaN(mean) ? double.NaN : 0, 1);
        // Two-pass variance: exact enough for a handful of seeds and stable when values are close together.
        double ss = 0;
        foreach (var s in samples) ss += (s - mean) * (s - mean);
        return new MeanStd(mean, Math.Sqrt(ss / (samples.Length - 1)), samples.Length);
    }

    /// <inheritdoc cref="FromSamples(ReadOnlySpan{double})"/>
    public static MeanStd FromSamples(IEnumerable<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return FromSamples(samples.ToArray().AsSpan());
    }

    /// <summary>"mean ± std" with invariant culture and round-trip precision.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Mean:R} ± {Std:R}");
}
