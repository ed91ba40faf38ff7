using MathNet.Numerics.Distributions;
using ResearchKit.Defenses;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tests.Defenses;

/// <summary>Inputs, tiny members, statistical checks and key renderings shared by the EHD tests.</summary>
internal static class EhdTestUtil
{
    /// <summary>
    /// Significance level of every statistical test here. The inputs and keys come from fixed seeds, so each test is
    /// deterministic: α is the chance that a correct implementation happens to meet a seed that fails it. At 10⁻⁶ that
    /// is practically impossible, while the faults they target (a constant or skewed route, a hash that ignores a
    /// byte) give statistics hundreds of standard deviations away.
    /// </summary>
    public const double Alpha = 1e-6;

    /// <summary>(n, 3, h, w) values uniform in [0, 1) (not on the 8-bit grid).</summary>
    public static Tensor RandomInputs(int n, long seed, int h = 8, int w = 8) => Tensor.Rand([n, 3, h, w], new Generator(seed));

    /// <summary>(n, 3, h, w) 8-bit images divided by 255, with their bytes (row-major).</summary>
    public static (Tensor Inputs, byte[] Bytes) QuantizedInputs(int n, long seed, int h = 8, int w = 8)
    {
        var g = new Generator(seed);
        var bytes = new byte[n * 3 * h * w];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)g.NextInt64(0, 256);
        return (FromBytes(bytes, n, h, w), bytes);
    }

    public static Tensor FromBytes(byte[] bytes, int n, int h = 8, int w = 8) =>
        Tensor.FromArray(bytes.Select(b => b / 255f).ToArray(), n, 3, h, w);

    /// <summary>Member j: Flatten then Linear(3·h·w → classes) with its own seed, so members score differently.</summary>
    public static Module<Tensor, Tensor> TinyMember(int j, int features = 48, int classes = 5) =>
        new Sequential(new Flatten(), new Linear(features, classes, generator: new Generator(100 + j)));

    public static Module<Tensor, Tensor>[] TinyMembers(int k, int features = 48, int classes = 5) =>
        Enumerable.Range(0, k).Select(j => TinyMember(j, features, classes)).ToArray();

    /// <summary>Dummy members for routing-only tests (routes do not depend on the members).</summary>
    public static EnsembleHashDefense RoutingOnly(int k, DefenseKey key, EhdInputEncoding encoding = EhdInputEncoding.Uint8) =>
        new(TinyMembers(k, 192), key, encoding);

    /// <summary>Row i of a batch as a batch of one.</summary>
    public static Tensor Row(Tensor batch, int i) => batch.Narrow(0, i, 1).Contiguous();

    /// <summary>Pearson χ² of the observed route counts against n·p_r; asserts it is below the 1 − α quantile.</summary>
    public static void AssertChiSquareFits(int[] routes, double[] p, string what)
    {
        var (chi2, counts) = ChiSquare(routes, p);
        double critical = ChiSquared.InvCDF(p.Length - 1, 1 - Alpha);
        Assert.True(chi2 < critical, $"{what}: χ² = {chi2:F2} ≥ {critical:F2} (df = {p.Length - 1}, α = {Alpha}); counts {string.Join(", ", counts)}.");
    }

    /// <summary>Pearson χ² statistic of the route counts against n·p_r, and the counts.</summary>
    public static (double Chi2, double[] Counts) ChiSquare(int[] routes, double[] p)
    {
        var counts = new double[p.Length];
        foreach (var r in routes) counts[r]++;
        double chi2 = 0;
        for (int r = 0; r < p.Length; r++)
        {
            double e = routes.Length * p[r];
            chi2 += (counts[r] - e) * (counts[r] - e) / e;
        }
        return (chi2, counts);
    }

    /// <summary>Two-sided exact binomial test of <paramref name="successes"/> out of <paramref name="n"/> against p at level α.</summary>
    public static void AssertBinomialFits(int successes, int n, double p, string what)
    {
        var law = new Binomial(p, n);
        double lower = law.CumulativeDistribution(successes);          // P(X ≤ x)
        double upper = 1 - law.CumulativeDistribution(successes - 1);  // P(X ≥ x)
        Assert.True(Math.Min(lower, upper) > Alpha / 2,
            $"{what}: {successes}/{n} = {(double)successes / n:F4}, expected p = {p:F4}; P(X ≤ x) = {lower:G3}, P(X ≥ x) = {upper:G3} (α = {Alpha}, two-sided).");
    }

    /// <summary>Every textual form of the key an accidental leak could take, plus every 8-byte window in hex.</summary>
    public static List<string> Renderings(ReadOnlySpan<byte> key)
    {
        var bytes = key.ToArray();
        var hex = Convert.ToHexString(bytes);
        var list = new List<string>
        {
            hex, hex.ToLowerInvariant(), Convert.ToBase64String(bytes),
            Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            BitConverter.ToString(bytes), string.Join(",", bytes), string.Join(", ", bytes),
        };
        for (int i = 0; i + 8 <= bytes.Length; i++)
        {
            list.Add(hex.Substring(2 * i, 16));
            list.Add(hex.Substring(2 * i, 16).ToLowerInvariant());
        }
        return list;
    }

    public static void AssertNoKey(string text, ReadOnlySpan<byte> key, string where)
    {
        var renderings = Renderings(key);
        for (int i = 0; i < renderings.Count; i++)   // the message names the rendering by number, never by content
            Assert.False(text.Contains(renderings[i], StringComparison.Ordinal), $"{where} contains key material (rendering #{i}).");
    }
}
