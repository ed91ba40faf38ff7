using ResearchKit.Tensors;

namespace ResearchKit.Attacks;

/// <summary>
/// SPSA (Uesato et al. 2018), exactly as the thesis' Appendix B: a score-based attack on an <see cref="IScoreOracle"/>
/// (so a defended model is attacked as a plain one) that minimizes the margin loss of Eq. B.1 with Adam on a gradient
/// estimated from 2n queries at x ± δ·v (Eq. B.2), projecting onto the L∞ ε-ball and the clip range after each step.
/// </summary>
/// <remarks>
/// <para>Per iteration and input x_t (x₀ = the clean input, as the thesis):</para>
/// <list type="number">
/// <item>L(x) = top1 − top2 of the oracle's scores when the prediction is the true label, 0 otherwise (Eq. B.1);
/// targeted (not in the thesis; our choice): L(x) = max_{j≠t} s_j − s_t while the prediction is not the target t, 0 once it is;</item>
/// <item>v_1…v_n ∈ {−1, +1}^D Rademacher per pixel; g = (1/n) Σ_i [L(x_t + δv_i) − L(x_t − δv_i)] / (2δ v_i), element-wise
/// (Eq. B.2); queries are at x_t ± δv_i (cleverhans' semantics; one PyTorch port evaluates at 2x ± δ, which is wrong);</item>
/// <item>x' = Adam step descending g (Eq. B.3 says SGD; "in practice Adam"); x_{t+1} = clip(clip(x', x₀ − ε, x₀ + ε), min, max) (Eq. B.4).</item>
/// </list>
/// <para>
/// Settings the thesis does not state (PROTOCOLS §5, §11), all constructor parameters: Adam's learning rate (0.01, as
/// cleverhans), betas (0.9, 0.999) and eps (1e-8), in PyTorch's form p −= lr·m̂/(√v̂ + eps); a random start (off; cleverhans
/// starts from a random point of the ball); clamping the query points to the clip range (off, as cleverhans). cleverhans
/// returns δ·g (its estimate is scaled by δ relative to Eq. B.2); this class returns Eq. B.2's g — Adam is invariant to the
/// scale up to its eps. No early stop: a misclassified input has L = 0 but its queries still count.
/// </para>
/// <para>
/// Queries: 2·n per iteration per input, batched across inputs and samples into oracle calls of at most
/// <see cref="MaxBatch"/> rows. Each input's random draws come from its own stream, derived from (seed, index in the
/// batch, iteration), so the result does not depend on the chunking and a t-step run equals the first t steps of a longer one.
/// </para>
/// </remarks>
public sealed class Spsa : IIterativeAttack
{
    private readonly IScoreOracle _oracle;

    /// <summary>Creates the attack.</summary>
    /// <param name="oracle">The target's scores.</param>
    /// <param name="threat">An L∞ threat model (the thesis': <see cref="ThreatModel.Thesis"/>).</param>
    /// <param name="samples">n, perturbation pairs per iteration (the thesis' grid: 10, 128, 1024).</param>
    /// <param name="iterations">Adam steps (the thesis' grid: 10, 20, 50, 100).</param>
    /// <param name="delta">δ, the perturbation size (0.01, thesis).</param>
    /// <param name="learningRate">Adam's learning rate (NS in the thesis; 0.01 as cleverhans).</param>
    /// <param name="beta1">Adam's β₁ (NS; 0.9).</param>
    /// <param name="beta2">Adam's β₂ (NS; 0.999).</param>
    /// <param name="adamEpsilon">Adam's eps (NS; 1e-8).</param>
    /// <param name="randomStart">Start from a uniform point of the ε-ball (NS; off: the thesis' x₀ is the clean image).</param>
    /// <param name="clampQueries">Clamp the query points to the clip range (NS; off as cleverhans).</param>
    /// <param name="maxBatch">Most rows per oracle call (≥ 2).</param>
    /// <param name="seed">Seed of every random draw.</param>
    /// <exception cref="ArgumentException">The threat model is not L∞.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public Spsa(IScoreOracle oracle, ThreatModel threat, int samples = 128, int iterations = 100, float delta = 0.01f,
        double learningRate = 0.01, double beta1 = 0.9, double beta2 = 0.999, double adamEpsilon = 1e-8,
        bool randomStart = false, bool clampQueries = false, int maxBatch = 4096, long seed = 0)
    {
        _oracle = oracle ?? throw new ArgumentNullException(nameof(oracle));
        Threat = (threat ?? throw new ArgumentNullException(nameof(threat))).Validated();
        if (Threat.Norm != AttackNorm.LInf)
            throw new ArgumentException($"SPSA: the thesis' SPSA projects onto an L∞ ball; got {Threat.Norm}. Use AttackNorm.LInf.", nameof(threat));
        Samples = AttackChecks.AtLeast(Name, nameof(samples), samples, 1);
        Iterations = AttackChecks.AtLeast(Name, nameof(iterations), iterations, 1);
        Delta = (float)AttackChecks.Positive(Name, nameof(delta), delta);
        LearningRate = AttackChecks.Positive(Name, nameof(learningRate), learningRate);
        Beta1 = beta1 is >= 0 and < 1 ? beta1 : throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "SPSA: beta1 must be in [0, 1).");
        Beta2 = beta2 is >= 0 and < 1 ? beta2 : throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "SPSA: beta2 must be in [0, 1).");
        AdamEpsilon = AttackChecks.Positive(Name, nameof(adamEpsilon), adamEpsilon);
        RandomStart = randomStart;
        ClampQueries = clampQueries;
        MaxBatch = AttackChecks.AtLeast(Name, nameof(maxBatch), maxBatch, 2);
        Seed = seed;
    }

    /// <inheritdoc/>
    public string Name => "SPSA";

    /// <inheritdoc/>
    public ThreatModel Threat { get; }

    /// <inheritdoc/>
    public long Queries { get; private set; }

    /// <summary>n, perturbation pairs per iteration (2n queries).</summary>
    public int Samples { get; }

    /// <inheritdoc/>
    public int Iterations { get; }

    /// <summary>δ.</summary>
    public float Delta { get; }

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; }

    /// <summary>Adam's β₁.</summary>
    public double Beta1 { get; }

    /// <summary>Adam's β₂.</summary>
    public double Beta2 { get; }

    /// <summary>Adam's eps.</summary>
    public double AdamEpsilon { get; }

    /// <summary>Whether x₀ is a uniform point of the ε-ball.</summary>
    public bool RandomStart { get; }

    /// <summary>Whether query points are clamped to the clip range.</summary>
    public bool ClampQueries { get; }

    /// <summary>Most rows per oracle call.</summary>
    public int MaxBatch { get; }

    /// <summary>Seed of every random draw.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config => new Dictionary<string, object?>
    {
        ["attack"] = Name, ["norm"] = Threat.Norm.ToString(), ["epsilon"] = Threat.Epsilon, ["clip_min"] = Threat.ClipMin,
        ["clip_max"] = Threat.ClipMax, ["targeted"] = Threat.Targeted, ["samples"] = Samples, ["iterations"] = Iterations,
        ["delta"] = Delta, ["learning_rate"] = LearningRate, ["beta1"] = Beta1, ["beta2"] = Beta2, ["adam_epsilon"] = AdamEpsilon,
        ["random_start"] = RandomStart, ["clamp_queries"] = ClampQueries, ["seed"] = Seed,
        // MaxBatch is left out on purpose: it does not change the result.
    };

    /// <inheritdoc/>
    public Tensor Perturb(Tensor inputs, Tensor labels) => PerturbAt(inputs, labels, [Iterations])[0];

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> PerturbAt(Tensor inputs, Tensor labels, IReadOnlyList<int> iterations)
    {
        AttackChecks.Iterations(Name, iterations);
        AttackChecks.Batch(Name, Threat, inputs, labels);
        var (n, d, shape) = AttackChecks.Dims(inputs);
        var y = labels.ToInt64Array();
        var x0 = inputs.ToArray();
        float eps = Threat.Epsilon;
        var x = (float[])x0.Clone();
        if (RandomStart)
            for (int i = 0; i < n; i++)
            {
                var g = RandomStreams.For(Seed, i, -1);
                for (int k = i * d; k < (i + 1) * d; k++) x[k] = Project(x0[k] + (2 * g.NextFloat() - 1) * eps, x0[k]);
            }
        var adam = new ElementwiseAdam(x.Length, LearningRate, Beta1, Beta2, AdamEpsilon);
        var result = new List<Tensor>(iterations.Count);
        (float, float)? clip = ClampQueries ? (Threat.ClipMin, Threat.ClipMax) : null;
        for (int t = 1, next = 0; next < iterations.Count; t++)
        {
            var grad = Estimate((batch, owner) => Margins(batch, owner, y), x, n, d, shape, Samples, Delta,
                i => RandomStreams.For(Seed, i, t), clip, MaxBatch, out long queries);
            Queries += queries;
            adam.Step(x, grad);
            for (int k = 0; k < x.Length; k++) x[k] = Project(x[k], x0[k]);
            if (t == iterations[next]) { result.Add(Tensor.FromArray(x, shape)); next++; }
        }
        return result;
    }

    private float Project(float v, float clean) =>
        Math.Clamp(Math.Clamp(v, clean - Threat.Epsilon, clean + Threat.Epsilon), Threat.ClipMin, Threat.ClipMax);

    private float[] Margins(Tensor batch, int[] owner, long[] labels)
    {
        Tensor scores;
        using (Torch.NoGrad()) scores = _oracle.Scores(batch);
        if (scores.Dim != 2 || scores.Size(0) != batch.Size(0))
            throw new InvalidOperationException($"SPSA: the oracle must return scores (B, C) with B = {batch.Size(0)}, got shape {scores.Shape}.");
        int c = scores.Size(1);
        AttackChecks.LabelsBelow(Name, labels, c);
        var s = scores.ToArray();
        var l = new float[owner.Length];
        for (int r = 0; r < owner.Length; r++) l[r] = MarginLoss.Spsa(s.AsSpan(r * c, c), labels[owner[r]], Threat.Targeted);
        return l;
    }

    /// <summary>The loss SPSA minimizes (Eq. B.1) for each row of <paramref name="scores"/>: top1 − top2 when the prediction is
    /// the label, 0 otherwise (targeted: max_{j≠t} s_j − s_t until t is predicted, then 0).</summary>
    /// <param name="scores">Scores (N, C).</param>
    /// <param name="labels">True (or target) labels, Int64 (N).</param>
    /// <param name="targeted">The targeted variant (not in the thesis).</param>
    /// <returns>Margins (N), no autograd history.</returns>
    /// <exception cref="ArgumentException">Shapes disagree or a label is out of range.</exception>
    public static Tensor Margins(Tensor scores, Tensor labels, bool targeted = false)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Dim != 2 || labels.Dim != 1 || labels.Size(0) != scores.Size(0))
            throw new ArgumentException($"SPSA.Margins: scores must be (N, C) and labels (N), got {scores.Shape} and {labels.Shape}.", nameof(scores));
        int n = scores.Size(0), c = scores.Size(1);
        float[] s = scores.Detach().ToArray();
        long[] y = labels.ToInt64Array();
        var m = new float[n];
        for (int i = 0; i < n; i++)
        {
            if (y[i] < 0 || y[i] >= c) throw new ArgumentException($"SPSA.Margins: label {y[i]} of row {i} is not in [0, {c}).", nameof(labels));
            m[i] = MarginLoss.Spsa(s.AsSpan(i * c, c), y[i], targeted);
        }
        return Tensor.FromArray(m, n);
    }

    /// <summary>
    /// The SPSA estimator of Eq. B.2 for a scalar-per-input function: for each input x_i (a row of <paramref name="inputs"/>),
    /// g_i = (1/n) Σ_k [f(x_i + δv_k) − f(x_i − δv_k)] / (2δ v_k) with Rademacher v_k, drawn from a stream derived from
    /// (<paramref name="seed"/>, i). It converges to ∇f as n grows (error ~ 1/√n, plus O(δ²) bias).
    /// </summary>
    /// <param name="f">Maps a batch of query points (B, …) to one value per row (B); rows mix the inputs' queries, so f must treat each row alone.</param>
    /// <param name="inputs">Points (N, …).</param>
    /// <param name="samples">n ≥ 1.</param>
    /// <param name="delta">δ &gt; 0.</param>
    /// <param name="seed">Seed of the draws.</param>
    /// <param name="maxBatch">Most rows per call of <paramref name="f"/> (≥ 2); the result does not depend on it.</param>
    /// <returns>The estimates (N, …).</returns>
    public static Tensor EstimateGradient(Func<Tensor, Tensor> f, Tensor inputs, int samples, float delta = 0.01f, long seed = 0, int maxBatch = 4096)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Dim < 1 || inputs.Size(0) < 1) throw new ArgumentException($"SPSA: inputs must be a batch (N, …) with N ≥ 1, got shape {inputs.Shape}.", nameof(inputs));
        AttackChecks.AtLeast("SPSA", nameof(samples), samples, 1);
        AttackChecks.Positive("SPSA", nameof(delta), delta);
        AttackChecks.AtLeast("SPSA", nameof(maxBatch), maxBatch, 2);
        int n = inputs.Size(0), d = inputs.Numel / n;
        var shape = inputs.Shape.ToArray();
        var g = Estimate((batch, _) =>
        {
            var v = f(batch);
            if (v.Numel != batch.Size(0)) throw new InvalidOperationException($"SPSA: f must return one value per row ({batch.Size(0)}), got shape {v.Shape}.");
            return v.ToArray();
        }, inputs.ToArray(), n, d, shape, samples, delta, i => RandomStreams.For(seed, i, 0), null, maxBatch, out _);
        return Tensor.FromArray(g, shape);
    }

    /// <summary>
    /// Eq. B.2 for every input at once: query rows are (input i, sample k, ±) in that order, cut into chunks of at most
    /// <paramref name="maxBatch"/> rows (pairs never split); each input's signs come from its own stream, in sample order.
    /// </summary>
    private static float[] Estimate(Func<Tensor, int[], float[]> loss, float[] x, int n, int d, int[] shape, int samples, float delta,
        Func<int, Generator> streamOf, (float Min, float Max)? clip, int maxBatch, out long queries)
    {
        int pairsPerCall = Math.Max(1, maxBatch / 2);
        long totalPairs = (long)n * samples;
        var grad = new float[x.Length];
        var rowShape = (int[])shape.Clone();
        Generator? stream = null;
        float scale = 1f / (2f * delta * samples);
        queries = 0;
        for (long p0 = 0; p0 < totalPairs; p0 += pairsPerCall)
        {
            int pairs = (int)Math.Min(pairsPerCall, totalPairs - p0);
            var rows = new float[2 * pairs * d];
            var signs = new float[pairs * d];
            var owner = new int[2 * pairs];
            for (int j = 0; j < pairs; j++)
            {
                long p = p0 + j;
                int i = (int)(p / samples);
                if (p % samples == 0) stream = streamOf(i);
                var v = signs.AsSpan(j * d, d);
                RandomStreams.Rademacher(stream!, v);
                var xi = x.AsSpan(i * d, d);
                var plus = rows.AsSpan(2 * j * d, d);
                var minus = rows.AsSpan((2 * j + 1) * d, d);
                for (int k = 0; k < d; k++)
                {
                    float step = delta * v[k];
                    plus[k] = xi[k] + step;
                    minus[k] = xi[k] - step;
                    if (clip is { } c) { plus[k] = Math.Clamp(plus[k], c.Min, c.Max); minus[k] = Math.Clamp(minus[k], c.Min, c.Max); }
                }
                owner[2 * j] = owner[2 * j + 1] = i;
            }
            rowShape[0] = 2 * pairs;
            var l = loss(Tensor.FromArray(rows, rowShape), owner);
            queries += 2 * pairs;
            for (int j = 0; j < pairs; j++)
            {
                int i = owner[2 * j];
                float coef = (l[2 * j] - l[2 * j + 1]) * scale;
                var v = signs.AsSpan(j * d, d);
                var gi = grad.AsSpan(i * d, d);
                for (int k = 0; k < d; k++) gi[k] += coef * v[k]; // 1/v = v for v = ±1
            }
        }
        return grad;
    }
}
