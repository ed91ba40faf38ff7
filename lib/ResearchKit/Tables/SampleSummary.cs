using System.Globalization;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace ResearchKit.Tables;

/// <summary>
/// Replicated measurements of one quantity (typically one per seed) with their mean, sample standard deviation and a
/// Student-t confidence interval, all computed by MathNet.Numerics. A table cell holding one renders as "mean ± std".
/// </summary>
public sealed class SampleSummary
{
    private readonly double[] _samples;

    private SampleSummary(double[] samples)
    {
        _samples = samples;
        // MathNet's MeanStandardDeviation is the sample (Bessel-corrected, n − 1) estimate, like torch.std and pandas.
        (Mean, StandardDeviation) = samples.Length == 1 ? (samples[0], double.NaN) : samples.MeanStandardDeviation();
    }

    /// <summary>Summarizes <paramref name="samples"/> (copied).</summary>
    /// <param name="samples">At least one value; NaN propagates to mean and standard deviation.</param>
    /// <exception cref="ArgumentException">No samples.</exception>
    public static SampleSummary Of(IEnumerable<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var copy = samples.ToArray();
        if (copy.Length == 0)
            throw new ArgumentException("SampleSummary.Of: no samples; pass at least one replicate (e.g. one value per seed).", nameof(samples));
        return new SampleSummary(copy);
    }

    /// <summary>The replicates, in the order given.</summary>
    public IReadOnlyList<double> Samples => _samples;

    /// <summary>Number of replicates.</summary>
    public int Count => _samples.Length;

    /// <summary>Arithmetic mean.</summary>
    public double Mean { get; }

    /// <summary>Sample standard deviation (divisor n − 1); NaN for a single replicate, whose spread is unknown.</summary>
    public double StandardDeviation { get; }

    /// <summary>Standard error of the mean, s / √n; NaN for a single replicate.</summary>
    public double StandardError => StandardDeviation / Math.Sqrt(Count);

    /// <summary>
    /// Two-sided Student-t confidence interval of the mean: mean ± t(n − 1, (1 + level) / 2) · s / √n.
    /// </summary>
    /// <param name="level">Coverage in (0, 1), e.g. 0.95.</param>
    /// <returns>(NaN, NaN) for a single replicate.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Level outside (0, 1).</exception>
    public (double Lower, double Upper) ConfidenceInterval(double level = 0.95)
    {
        if (!(level > 0 && level < 1))
            throw new ArgumentOutOfRangeException(nameof(level), level, "SampleSummary.ConfidenceInterval: level is a coverage in (0, 1), e.g. 0.95 for a 95% interval.");
        if (Count < 2) return (double.NaN, double.NaN);
        double half = StudentT.InvCDF(0, 1, Count - 1, (1 + level) / 2) * StandardError;
        return (Mean - half, Mean + half);
    }

    /// <summary>"mean ± std" (the mean alone for one replicate), invariant culture, round-trip precision.</summary>
    public override string ToString() => Count == 1
        ? Mean.ToString("R", CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Mean:R} ± {StandardDeviation:R}");
}
