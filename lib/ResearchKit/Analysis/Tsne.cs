using ResearchKit.Tensors;

namespace ResearchKit.Analysis;

/// <summary>
/// Settings of <see cref="Tsne"/>. The thesis states only <b>1000 iterations and perplexity 30</b> (Fig. 5.2, §5.4.2;
/// protocols §2.9); every other default is that of the common exact implementations (van der Maaten's <c>tsne.m</c>,
/// bhtsne, scikit-learn before 1.2), not the thesis'.
/// </summary>
/// <param name="Perplexity">Target perplexity of every conditional distribution P(·|i) (thesis: 30). Must be below N − 1.</param>
/// <param name="Iterations">Gradient-descent iterations (thesis: 1000).</param>
/// <param name="LearningRate">Step size η (default 200, the classic fixed value of bhtsne and of scikit-learn up to 1.1; scikit-learn ≥ 1.2's
/// "auto" would be max(N/12/4, 50) = 50 for the 500 points of Fig. 5.2).</param>
/// <param name="EarlyExaggeration">Factor on P during the first <see cref="ExaggerationIterations"/> iterations (default 12).</param>
/// <param name="ExaggerationIterations">Length of the early-exaggeration phase (default 250).</param>
/// <param name="InitialMomentum">Momentum before <see cref="MomentumSwitchIteration"/> (default 0.5).</param>
/// <param name="FinalMomentum">Momentum from <see cref="MomentumSwitchIteration"/> on (default 0.8).</param>
/// <param name="MomentumSwitchIteration">Iteration at which the momentum switches (default 250).</param>
/// <param name="InitialStandardDeviation">Standard deviation of the random initialization (default 1e-2, i.e. N(0, 10⁻⁴·I) as in van der
/// Maaten &amp; Hinton 2008, where 10⁻⁴ is the variance; scikit-learn multiplies by 10⁻⁴ instead).</param>
/// <param name="AdaptiveGains">Per-coordinate adaptive gains (delta-bar-delta: +0.2 when the gradient changes sign against the update,
/// ×0.8 otherwise, floor 0.01), as in <c>tsne.m</c>, bhtsne and scikit-learn (default true).</param>
/// <param name="OutputDimensions">Embedding dimensions (default 2).</param>
/// <param name="KlEvery">The KL divergence is recorded every this many iterations, and at the last one (default 50).</param>
public sealed record TsneOptions(
    double Perplexity = 30,
    int Iterations = 1000,
    double LearningRate = 200,
    double EarlyExaggeration = 12,
    int ExaggerationIterations = 250,
    double InitialMomentum = 0.5,
    double FinalMomentum = 0.8,
    int MomentumSwitchIteration = 250,
    double InitialStandardDeviation = 1e-2,
    bool AdaptiveGains = true,
    int OutputDimensions = 2,
    int KlEvery = 50)
{
    /// <summary>The defaults (perplexity 30, 1000 iterations: the thesis' two stated values).</summary>
    public static TsneOptions Default { get; } = new();
}

/// <summary>A t-SNE embedding (§5.4.2, Fig. 5.2).</summary>
/// <param name="Embedding">N × <see cref="TsneOptions.OutputDimensions"/> coordinates.</param>
/// <param name="KlDivergence">KL(P‖Q) of the final embedding, with the un-exaggerated P (nats).</param>
/// <param name="KlHistory">(iteration, KL(P‖Q)) every <see cref="TsneOptions.KlEvery"/> iterations and at the last one; KL always
/// with the un-exaggerated P, so values from the exaggeration phase are comparable with the later ones.</param>
/// <param name="Sigmas">σ_i of each point's Gaussian (in the input's distance units), found for the target perplexity.</param>
/// <param name="Options">The settings used.</param>
public sealed record TsneResult(double[,] Embedding, double KlDivergence, IReadOnlyList<(int Iteration, double Kl)> KlHistory, double[] Sigmas, TsneOptions Options);

/// <summary>
/// Exact t-SNE (van der Maaten &amp; Hinton 2008), for the feature maps of Fig. 5.2 (§5.4.2; protocols §2.9): Gaussian input
/// affinities with a per-point σ_i found by bisection so that P(·|i) has the target perplexity, symmetrized
/// p_ij = (p_j|i + p_i|j)/(2N), Student-t (one degree of freedom) output affinities q_ij, and gradient descent with momentum on
/// KL(P‖Q) with early exaggeration. O(N²) time and memory per iteration: meant for the 500 points of Fig. 5.2.
/// </summary>
/// <remarks>
/// Choices the thesis does not state (protocols §2.9, NS): squared Euclidean input distances; the defaults of
/// <see cref="TsneOptions"/>; p_ij floored at 10⁻¹² (as scikit-learn) so log p stays finite. All arithmetic is in double
/// precision, single-threaded, with the initialization drawn from a <see cref="Generator"/>: the same seed gives the same embedding.
/// </remarks>
public static class Tsne
{
    private const double PFloor = 1e-12;

    /// <summary>Embeds the N rows of <paramref name="data"/> (§5.4.2).</summary>
    /// <param name="data">N × D features (e.g. the 500 penultimate-layer features of Fig. 5.2).</param>
    /// <param name="options">Settings (default <see cref="TsneOptions.Default"/>).</param>
    /// <param name="generator">Random source of the initialization (default a new <c>Generator(0)</c>, so the default run is reproducible).</param>
    /// <exception cref="ArgumentException">No rows or columns, a non-finite value, a perplexity not below N − 1, or an invalid setting.</exception>
    public static TsneResult Fit(float[,] data, TsneOptions? options = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        int n = data.GetLength(0), d = data.GetLength(1);
        var x = new double[n * d];
        for (int i = 0; i < n; i++) for (int k = 0; k < d; k++) x[i * d + k] = data[i, k];
        return Fit(x, n, d, options, generator);
    }

    /// <summary>Embeds the N rows of <paramref name="data"/> (§5.4.2).</summary>
    /// <param name="data">N × D features.</param>
    /// <param name="options">Settings (default <see cref="TsneOptions.Default"/>).</param>
    /// <param name="generator">Random source of the initialization (default a new <c>Generator(0)</c>).</param>
    /// <exception cref="ArgumentException">See <see cref="Fit(float[,], TsneOptions?, Generator?)"/>.</exception>
    public static TsneResult Fit(double[,] data, TsneOptions? options = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        int n = data.GetLength(0), d = data.GetLength(1);
        var x = new double[n * d];
        for (int i = 0; i < n; i++) for (int k = 0; k < d; k++) x[i * d + k] = data[i, k];
        return Fit(x, n, d, options, generator);
    }

    /// <summary>Embeds the N rows of a 2-D float tensor (§5.4.2), e.g. <see cref="Models.ResNet18.Features"/>'s output.</summary>
    /// <param name="data">An N × D Float32 tensor.</param>
    /// <param name="options">Settings (default <see cref="TsneOptions.Default"/>).</param>
    /// <param name="generator">Random source of the initialization (default a new <c>Generator(0)</c>).</param>
    /// <exception cref="ArgumentException">The tensor is not 2-D Float32, or see <see cref="Fit(float[,], TsneOptions?, Generator?)"/>.</exception>
    public static TsneResult Fit(Tensor data, TsneOptions? options = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Dim != 2 || data.DType != DType.Float32)
            throw new ArgumentException($"Tsne.Fit: expected an N × D Float32 tensor, got {data.DType} {data.Shape}; flatten the features to (N, D) first (e.g. Reshape(N, -1)).", nameof(data));
        int n = data.Size(0), d = data.Size(1);
        var f = data.Contiguous().ToArray();
        var x = new double[f.Length];
        for (int i = 0; i < f.Length; i++) x[i] = f[i];
        return Fit(x, n, d, options, generator);
    }

    private static TsneResult Fit(double[] x, int n, int d, TsneOptions? options, Generator? generator)
    {
        options ??= TsneOptions.Default;
        Validate(options, n, d);
        for (int i = 0; i < x.Length; i++)
            if (!double.IsFinite(x[i]))
                throw new ArgumentException($"Tsne.Fit: value at row {i / d}, column {i % d} is {x[i]}; remove or impute non-finite features first.", "data");
        generator ??= new Generator(0);

        var dist = SquaredDistances(x, n, d);
        var cond = ConditionalProbabilities(dist, n, options.Perplexity, out var betas);
        var p = Symmetrize(cond, n);
        var sigmas = betas.Select(b => Math.Sqrt(1 / (2 * b))).ToArray();

        int dims = options.OutputDimensions;
        var y = new double[n * dims];
        for (int i = 0; i < y.Length; i++) y[i] = generator.NextNormal() * options.InitialStandardDeviation;
        var update = new double[y.Length];
        var gains = new double[y.Length];
        Array.Fill(gains, 1.0);
        var grad = new double[y.Length];
        var num = new double[n * n];
        var history = new List<(int, double)>();

        for (int it = 0; it < options.Iterations; it++)
        {
            double exaggeration = it < options.ExaggerationIterations ? options.EarlyExaggeration : 1;
            Gradient(p, y, n, dims, exaggeration, grad, num);
            double momentum = it < options.MomentumSwitchIteration ? options.InitialMomentum : options.FinalMomentum;
            for (int k = 0; k < y.Length; k++)
            {
                if (options.AdaptiveGains)
                    gains[k] = Math.Max(Math.Sign(grad[k]) != Math.Sign(update[k]) ? gains[k] + 0.2 : gains[k] * 0.8, 0.01);
                update[k] = momentum * update[k] - options.LearningRate * gains[k] * grad[k];
                y[k] += update[k];
            }
            if ((it + 1) % options.KlEvery == 0 || it == options.Iterations - 1)
                history.Add((it + 1, KlDivergence(p, y, n, dims)));
        }

        var embedding = new double[n, dims];
        for (int i = 0; i < n; i++) for (int k = 0; k < dims; k++) embedding[i, k] = y[i * dims + k];
        double kl = history.Count > 0 ? history[^1].Item2 : KlDivergence(p, y, n, dims);
        return new TsneResult(embedding, kl, history, sigmas, options);
    }

    private static void Validate(TsneOptions o, int n, int d)
    {
        if (n == 0 || d == 0)
            throw new ArgumentException($"Tsne.Fit: the input is {n} × {d}; give at least 3 points with at least one feature.", "data");
        if (!(o.Perplexity > 0) || o.Perplexity >= n - 1)
            throw new ArgumentException($"Tsne.Fit: perplexity {o.Perplexity} with N = {n} points; it must be positive and below N − 1 = {n - 1} (a point has N − 1 neighbours): lower the perplexity or embed more points (the thesis uses 30 for 500 points).", nameof(o.Perplexity));
        if (o.Iterations < 1) throw new ArgumentException($"Tsne.Fit: Iterations = {o.Iterations}; use at least 1 (the thesis uses 1000).", nameof(o.Iterations));
        if (!(o.LearningRate > 0)) throw new ArgumentException($"Tsne.Fit: LearningRate = {o.LearningRate}; use a positive step (default 200).", nameof(o.LearningRate));
        if (!(o.EarlyExaggeration >= 1)) throw new ArgumentException($"Tsne.Fit: EarlyExaggeration = {o.EarlyExaggeration}; use a factor ≥ 1 (1 = none; default 12).", nameof(o.EarlyExaggeration));
        if (o.ExaggerationIterations < 0 || o.MomentumSwitchIteration < 0)
            throw new ArgumentException("Tsne.Fit: ExaggerationIterations and MomentumSwitchIteration must be ≥ 0 (default 250).", nameof(o));
        if (!(o.InitialMomentum >= 0 && o.InitialMomentum < 1 && o.FinalMomentum >= 0 && o.FinalMomentum < 1))
            throw new ArgumentException($"Tsne.Fit: momenta {o.InitialMomentum}, {o.FinalMomentum}; use values in [0, 1) (default 0.5, 0.8).", nameof(o));
        if (!(o.InitialStandardDeviation > 0)) throw new ArgumentException($"Tsne.Fit: InitialStandardDeviation = {o.InitialStandardDeviation}; use a positive value (default 1e-2).", nameof(o.InitialStandardDeviation));
        if (o.OutputDimensions < 1) throw new ArgumentException($"Tsne.Fit: OutputDimensions = {o.OutputDimensions}; use 2 (or another positive count).", nameof(o.OutputDimensions));
        if (o.KlEvery < 1) throw new ArgumentException($"Tsne.Fit: KlEvery = {o.KlEvery}; use a positive interval (default 50).", nameof(o.KlEvery));
    }

    /// <summary>Squared Euclidean distances of the N rows of a row-major N × D array (N × N, row-major).</summary>
    internal static double[] SquaredDistances(double[] x, int n, int d)
    {
        var dist = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            var xi = x.AsSpan(i * d, d);
            for (int j = i + 1; j < n; j++)
            {
                var xj = x.AsSpan(j * d, d);
                double s = 0;
                for (int k = 0; k < d; k++) { double t = xi[k] - xj[k]; s += t * t; }
                dist[i * n + j] = dist[j * n + i] = s;
            }
        }
        return dist;
    }

    /// <summary>
    /// Conditional affinities p_j|i = exp(−β_i·D_ij) / Σ_k≠i exp(−β_i·D_ik) (β_i = 1/(2σ_i²)), each row's β_i found by bisection
    /// so that its entropy is log(perplexity) (to 1e-10 nats, at most 200 steps). <paramref name="sqDist"/> is N × N row-major.
    /// </summary>
    internal static double[] ConditionalProbabilities(double[] sqDist, int n, double perplexity, out double[] betas)
    {
        double target = Math.Log(perplexity);
        var cond = new double[n * n];
        betas = new double[n];
        var row = new double[n];
        for (int i = 0; i < n; i++)
        {
            double dmin = double.PositiveInfinity;
            for (int j = 0; j < n; j++) if (j != i) dmin = Math.Min(dmin, sqDist[i * n + j]);
            double beta = 1, lo = 0, hi = double.PositiveInfinity;
            for (int step = 0; step < 200; step++)
            {
                // Shifted by the nearest distance: exp(−β(D − Dmin)) keeps the largest term at 1 (no underflow of the whole row).
                double sum = 0, dot = 0;
                for (int j = 0; j < n; j++)
                {
                    if (j == i) { row[j] = 0; continue; }
                    double dj = sqDist[i * n + j] - dmin;
                    double e = Math.Exp(-beta * dj);
                    row[j] = e; sum += e; dot += dj * e;
                }
                double h = Math.Log(sum) + beta * dot / sum;
                double diff = h - target;
                if (Math.Abs(diff) < 1e-10) break;
                if (diff > 0) { lo = beta; beta = double.IsPositiveInfinity(hi) ? beta * 2 : (beta + hi) / 2; }
                else { hi = beta; beta = (beta + lo) / 2; }
            }
            double total = 0;
            for (int j = 0; j < n; j++) total += row[j];
            for (int j = 0; j < n; j++) cond[i * n + j] = row[j] / total;
            betas[i] = beta;
        }
        return cond;
    }

    /// <summary>p_ij = max((p_j|i + p_i|j) / (2N), 1e-12) off the diagonal, 0 on it.</summary>
    internal static double[] Symmetrize(double[] cond, int n)
    {
        var p = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                p[i * n + j] = p[j * n + i] = Math.Max((cond[i * n + j] + cond[j * n + i]) / (2.0 * n), PFloor);
        return p;
    }

    /// <summary>
    /// The gradient of KL(αP‖Q) in <paramref name="grad"/>: ∂C/∂y_i = 4 Σ_j (α·p_ij − q_ij)(y_i − y_j)/(1 + ‖y_i − y_j‖²)
    /// (van der Maaten &amp; Hinton 2008, Eq. 5), q_ij = (1 + ‖y_i − y_j‖²)⁻¹ / Z. <paramref name="num"/> is N × N scratch.
    /// </summary>
    internal static void Gradient(double[] p, double[] y, int n, int dims, double exaggeration, double[] grad, double[] num)
    {
        double z = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < dims; k++) { double t = y[i * dims + k] - y[j * dims + k]; s += t * t; }
                double q = 1 / (1 + s);
                num[i * n + j] = q;
                z += 2 * q;
            }
        Array.Clear(grad);
        double invZ = 1 / z;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double w = num[i * n + j];
                double m = 4 * (exaggeration * p[i * n + j] - w * invZ) * w;
                for (int k = 0; k < dims; k++)
                {
                    double t = m * (y[i * dims + k] - y[j * dims + k]);
                    grad[i * dims + k] += t;
                    grad[j * dims + k] -= t;
                }
            }
    }

    /// <summary>KL(P‖Q) = Σ_i≠j p_ij log(p_ij / q_ij) in nats, for the embedding <paramref name="y"/> (N × dims, row-major).</summary>
    internal static double KlDivergence(double[] p, double[] y, int n, int dims)
    {
        double z = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < dims; k++) { double t = y[i * dims + k] - y[j * dims + k]; s += t * t; }
                z += 2 / (1 + s);
            }
        double kl = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < dims; k++) { double t = y[i * dims + k] - y[j * dims + k]; s += t * t; }
                double q = 1 / (1 + s) / z;
                double pij = p[i * n + j];
                if (pij > 0) kl += 2 * pij * Math.Log(pij / q);
            }
        return kl;
    }
}
