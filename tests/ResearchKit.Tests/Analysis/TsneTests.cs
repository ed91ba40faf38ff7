using System.Diagnostics;
using ResearchKit.Analysis;
using ResearchKit.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace ResearchKit.Tests.Analysis;

public class TsneTests(ITestOutputHelper output)
{
    [Fact]
    public void ConditionalRows_HaveEntropyLog2Perplexity()
    {
        // Hand-made squared distances of 6 points (symmetric, zero diagonal, spread over three orders of magnitude).
        double[,] d =
        {
            { 0, 1, 4, 9, 50, 400 },
            { 1, 0, 2, 7, 30, 300 },
            { 4, 2, 0, 3, 20, 250 },
            { 9, 7, 3, 0, 10, 100 },
            { 50, 30, 20, 10, 0, 60 },
            { 400, 300, 250, 100, 60, 0 },
        };
        int n = 6;
        var flat = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) flat[i * n + j] = d[i, j];
        foreach (double perplexity in new[] { 2.0, 3.0, 4.5 })
        {
            var cond = Tsne.ConditionalProbabilities(flat, n, perplexity, out _);
            for (int i = 0; i < n; i++)
            {
                double h = 0, sum = 0;
                for (int j = 0; j < n; j++)
                {
                    double pj = cond[i * n + j];
                    sum += pj;
                    if (pj > 0) h -= pj * Math.Log2(pj);
                }
                Assert.Equal(0, cond[i * n + i]);
                Assert.Equal(1, sum, 12);
                Assert.True(Math.Abs(h - Math.Log2(perplexity)) < 1e-4, $"row {i}, perplexity {perplexity}: H = {h} bits, want {Math.Log2(perplexity)}");
            }
        }
    }

    // KL(P‖Q) computed independently: q_ij = (1 + |y_i − y_j|²)⁻¹ / Σ_{k≠l} (1 + |y_k − y_l|²)⁻¹.
    private static double Kl(double[,] p, double[,] y)
    {
        int n = p.GetLength(0);
        double W(int i, int j) => 1 / (1 + Math.Pow(y[i, 0] - y[j, 0], 2) + Math.Pow(y[i, 1] - y[j, 1], 2));
        double z = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (i != j) z += W(i, j);
        double kl = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (i != j) kl += p[i, j] * Math.Log(p[i, j] / (W(i, j) / z));
        return kl;
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferenceOfKl()
    {
        const int n = 5;
        var g = new Generator(7);
        var p = new double[n, n];
        double total = 0;
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) { p[i, j] = p[j, i] = 0.1 + g.NextDouble(); total += 2 * p[i, j]; }
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) p[i, j] /= total;
        var y = new double[n, 2];
        for (int i = 0; i < n; i++) { y[i, 0] = g.NextNormal(); y[i, 1] = g.NextNormal(); }

        var pFlat = new double[n * n];
        var yFlat = new double[n * 2];
        for (int i = 0; i < n; i++) { for (int j = 0; j < n; j++) pFlat[i * n + j] = p[i, j]; yFlat[2 * i] = y[i, 0]; yFlat[2 * i + 1] = y[i, 1]; }
        var grad = new double[n * 2];
        Tsne.Gradient(pFlat, yFlat, n, 2, exaggeration: 1, grad, new double[n * n]);
        Assert.Equal(Kl(p, y), Tsne.KlDivergence(pFlat, yFlat, n, 2), 12);

        const double h = 1e-6;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 2; k++)
            {
                double keep = y[i, k];
                y[i, k] = keep + h; double up = Kl(p, y);
                y[i, k] = keep - h; double down = Kl(p, y);
                y[i, k] = keep;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - grad[2 * i + k]) < 1e-7 + 1e-6 * Math.Abs(fd), $"∂KL/∂y[{i},{k}]: analytic {grad[2 * i + k]}, finite difference {fd}");
            }
    }

    private static (float[,] X, int[] Labels) ThreeClusters(int perCluster = 20, int dims = 20, long seed = 3)
    {
        var g = new Generator(seed);
        int n = 3 * perCluster;
        var x = new float[n, dims];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % 3;
            labels[i] = c;
            for (int k = 0; k < dims; k++) x[i, k] = (float)((k % 3 == c ? 10.0 : 0.0) + g.NextNormal());
        }
        return (x, labels);
    }

    [Fact]
    public void ThreeGaussianClusters_EmbedAsThreeClusters_AndKlDecreases()
    {
        var (x, labels) = ThreeClusters();
        var r = Tsne.Fit(x, generator: new Generator(11));
        int n = labels.Length;
        Assert.Equal(n, r.Embedding.GetLength(0));
        Assert.Equal(2, r.Embedding.GetLength(1));
        for (int i = 0; i < n; i++)
        {
            int best = -1; double bestD = double.PositiveInfinity;
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                double dd = Math.Pow(r.Embedding[i, 0] - r.Embedding[j, 0], 2) + Math.Pow(r.Embedding[i, 1] - r.Embedding[j, 1], 2);
                if (dd < bestD) { bestD = dd; best = j; }
            }
            Assert.Equal(labels[i], labels[best]);
        }
        var hist = r.KlHistory;
        Assert.Equal(1000, hist[^1].Iteration);
        Assert.Equal(r.KlDivergence, hist[^1].Kl);
        double atFirst = hist[0].Kl, after = hist.First(h => h.Iteration == 300).Kl;
        Assert.True(r.KlDivergence < after && after < atFirst, $"KL: {atFirst} (it 50), {after} (it 300), {r.KlDivergence} (it 1000)");
        // After the exaggeration phase the KL does not go up by more than noise.
        var late = hist.Where(h => h.Iteration >= 300).Select(h => h.Kl).ToList();
        for (int k = 1; k < late.Count; k++) Assert.True(late[k] <= late[k - 1] + 1e-3, $"KL rose from {late[k - 1]} to {late[k]}");
        output.WriteLine($"KL history: {string.Join(", ", hist.Select(h => $"{h.Iteration}:{h.Kl:F4}"))}");
    }

    [Fact]
    public void SameSeed_SameEmbedding_TensorAndArrayAgree()
    {
        var (x, _) = ThreeClusters(perCluster: 10);
        var opts = new TsneOptions(Perplexity: 5, Iterations: 300);
        var a = Tsne.Fit(x, opts, new Generator(5));
        var b = Tsne.Fit(Tensor.FromArray(x), opts, new Generator(5));
        var c = Tsne.Fit(x, opts, new Generator(6));
        Assert.Equal(a.Embedding.Cast<double>(), b.Embedding.Cast<double>());
        Assert.Equal(a.KlDivergence, b.KlDivergence);
        Assert.NotEqual(a.Embedding.Cast<double>(), c.Embedding.Cast<double>());
    }

    [Fact]
    public void BadInputs_ThrowWithTheFix()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tsne.Fit(new float[10, 3]));
        Assert.Contains("below N − 1", ex.Message);
        Assert.Contains("at least 3 points", Assert.Throws<ArgumentException>(() => Tsne.Fit(new float[0, 3])).Message);
        var nan = new float[10, 2]; nan[4, 1] = float.NaN;
        Assert.Contains("row 4, column 1", Assert.Throws<ArgumentException>(() => Tsne.Fit(nan, new TsneOptions(Perplexity: 3))).Message);
        Assert.Throws<ArgumentException>(() => Tsne.Fit(Tensor.Zeros(4, 2, 2)));
    }

    [Fact]
    public void FiveHundredPoints_ThousandIterations_RunsInSeconds()
    {
        var g = new Generator(1);
        var x = new float[500, 64];
        for (int i = 0; i < 500; i++) for (int k = 0; k < 64; k++) x[i, k] = (float)(g.NextNormal() + (k % 10 == i % 10 ? 4 : 0));
        var sw = Stopwatch.StartNew();
        var r = Tsne.Fit(x);
        sw.Stop();
        output.WriteLine($"500 × 64 → 2, 1000 iterations: {sw.Elapsed.TotalSeconds:F2} s, KL {r.KlDivergence:F4}");
        Assert.True(sw.Elapsed.TotalSeconds < 20, $"took {sw.Elapsed.TotalSeconds:F1} s");
    }
}
