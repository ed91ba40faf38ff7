using ResearchKit.Tables;
using Xunit;

namespace ResearchKit.Tests.Tables;

/// <summary>
/// MathNet-backed statistics against reference values computed with python3 (statistics module; t distribution via
/// mpmath.betainc, 30 digits).
/// </summary>
public class StatisticsTests
{
    // Wikipedia's "Welch's t-test" example 1 (unequal variances).
    private static readonly double[] A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
    private static readonly double[] A2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];

    [Fact]
    public void Summary_is_mean_and_sample_standard_deviation()
    {
        var rng = new Random(42);
        for (int n = 2; n <= 7; n++)
        {
            var xs = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 10 - 5).ToArray();
            double mean = xs.Sum() / n;
            double std = Math.Sqrt(xs.Select(x => (x - mean) * (x - mean)).Sum() / (n - 1));   // divisor n − 1
            var s = SampleSummary.Of(xs);
            Assert.Equal(mean, s.Mean, 12);
            Assert.Equal(std, s.StandardDeviation, 12);
            Assert.Equal(n, s.Count);
            Assert.Equal(xs, s.Samples);
        }
        var three = SampleSummary.Of([1.0, 2, 3]);
        Assert.Equal((2.0, 1.0), (three.Mean, three.StandardDeviation));
        Assert.Equal("2 ± 1", three.ToString());
    }

    [Fact]
    public void Single_replicate_has_no_spread_and_bad_input_is_rejected()
    {
        var one = SampleSummary.Of([80.25]);
        Assert.Equal(80.25, one.Mean);
        Assert.True(double.IsNaN(one.StandardDeviation));
        Assert.Equal("80.25", one.ToString());
        Assert.True(double.IsNaN(one.ConfidenceInterval().Lower));
        Assert.True(double.IsNaN(SampleSummary.Of([1.0, double.NaN]).StandardDeviation));
        var empty = Assert.Throws<ArgumentException>(() => SampleSummary.Of([]));
        Assert.Contains("at least one replicate", empty.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => three().ConfidenceInterval(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => three().ConfidenceInterval(0));

        static SampleSummary three() => SampleSummary.Of([1.0, 2, 3]);
    }

    [Fact]
    public void Confidence_interval_uses_student_t()
    {
        // n = 3, s = 1: t(2, 0.975) = 4.302652729749462, half width t·s/√3.
        var s = SampleSummary.Of([91.0, 92.0, 93.0]);
        var (lo, hi) = s.ConfidenceInterval(0.95);
        Assert.Equal(89.51586228824967, lo, 10);
        Assert.Equal(94.48413771175033, hi, 10);
        Assert.Equal(1 / Math.Sqrt(3), s.StandardError, 12);
    }

    [Fact]
    public void Welch_matches_the_textbook_example()
    {
        var w = WelchTTest.Compare(A1, A2);
        Assert.Equal(-2.455356398286006, w.T, 10);
        Assert.Equal(24.98852929023142, w.DegreesOfFreedom, 10);
        Assert.Equal(0.02137800146286698, w.PValue, 10);
        // Symmetric: swapping the samples flips t only.
        var back = WelchTTest.Compare(A2, A1);
        Assert.Equal(-w.T, back.T, 12);
        Assert.Equal(w.PValue, back.PValue, 12);
        Assert.Equal("t = -2.455, df = 25.0, p = 0.0214", w.ToString());
    }

    [Fact]
    public void Welch_over_seeds_with_unequal_counts()
    {
        var w = WelchTTest.Compare([91.0, 92.0, 93.0], [85.5, 86.5, 86.0, 87.0]);
        Assert.Equal(8.693182879212226, w.T, 10);
        Assert.Equal(3.234718826405868, w.DegreesOfFreedom, 10);
        Assert.Equal(0.002380726064075295, w.PValue, 10);
    }

    [Fact]
    public void Welch_rejects_single_seeds_and_identical_replicates()
    {
        var one = Assert.Throws<ArgumentException>(() => WelchTTest.Compare([1.0], [1.0, 2.0]));
        Assert.Contains("at least two replicates", one.Message);
        var flat = Assert.Throws<ArgumentException>(() => WelchTTest.Compare([1.0, 1.0], [2.0, 2.0]));
        Assert.Contains("zero variance", flat.Message);
    }
}
