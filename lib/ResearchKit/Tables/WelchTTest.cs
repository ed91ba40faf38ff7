using MathNet.Numerics.Distributions;

namespace ResearchKit.Tables;

/// <summary>
/// Welch's unequal-variances t-test of two independent samples (e.g. two methods over seeds): t, the
/// Welch–Satterthwaite degrees of freedom and the two-sided p-value from MathNet's Student t distribution.
/// </summary>
/// <param name="T">(mean a − mean b) / √(s²a/na + s²b/nb).</param>
/// <param name="DegreesOfFreedom">Welch–Satterthwaite ν (not an integer in general).</param>
/// <param name="PValue">Two-sided p-value, 2 · (1 − F_ν(|t|)).</param>
public readonly record struct WelchTTest(double T, double DegreesOfFreedom, double PValue)
{
    /// <summary>Compares two samples.</summary>
    /// <param name="a">First sample (at least two values).</param>
    /// <param name="b">Second sample (at least two values).</param>
    /// <exception cref="ArgumentException">Fewer than two values in a sample, or no variance in either (t is undefined).</exception>
    public static WelchTTest Compare(SampleSummary a, SampleSummary b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count < 2 || b.Count < 2)
            throw new ArgumentException($"WelchTTest: each sample needs at least two replicates (got {a.Count} and {b.Count}); run more seeds.");
        double va = a.StandardDeviation * a.StandardDeviation / a.Count, vb = b.StandardDeviation * b.StandardDeviation / b.Count;
        if (va + vb == 0)
            throw new ArgumentException("WelchTTest: both samples have zero variance, so t is undefined; the replicates are identical (check that the seeds differ).");
        double t = (a.Mean - b.Mean) / Math.Sqrt(va + vb);
        double df = (va + vb) * (va + vb) / (va * va / (a.Count - 1) + vb * vb / (b.Count - 1));
        double p = double.IsNaN(t) ? double.NaN : 2 * StudentT.CDF(0, 1, df, -Math.Abs(t));
        return new WelchTTest(t, df, p);
    }

    /// <inheritdoc cref="Compare(SampleSummary, SampleSummary)"/>
    public static WelchTTest Compare(IEnumerable<double> a, IEnumerable<double> b) => Compare(SampleSummary.Of(a), SampleSummary.Of(b));

    /// <summary>"t = …, df = …, p = …" with invariant culture.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"t = {T:F3}, df = {DegreesOfFreedom:F1}, p = {PValue:G3}");
}
