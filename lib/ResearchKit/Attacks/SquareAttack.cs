using ResearchKit.Tensors;

namespace ResearchKit.Attacks;

/// <summary>
/// Square Attack, L∞ (Andriushchenko et al. 2020): a score-based random search on an <see cref="IScoreOracle"/>. Starts
/// from vertical stripes (one ±ε per channel and column), then each iteration proposes, per input not yet fooled, a
/// random s×s square whose pixels all move to x ± ε (one sign per channel) and keeps it when the margin loss decreases.
/// </summary>
/// <remarks>
/// <para>
/// Loss: the margin s_y − max_{j≠y} s_j (untargeted) or max_{j≠t} s_j − s_t (targeted) on the oracle's scores; an
/// input stops (and stops costing queries) once it is ≤ 0. Square side s = max(1, round(√(p·H·W))), with p = p_init
/// halved on the paper's schedule (at 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000 of 10 000 iterations, rescaled
/// to the budget); s is at most H − 1, as the authors' code.
/// </para>
/// <para>
/// Differences from the authors' code, for determinism under any batching: each input draws its own square position
/// (theirs is shared by the batch in an iteration), from a stream derived from (seed, index in the batch). A proposal
/// identical to the current iterate on the square is redrawn (as theirs), at most 100 times.
/// </para>
/// <para>Queries: 1 per input for the initialization, then 1 per input not yet fooled per iteration; the budget is per input, initialization included.</para>
/// </remarks>
public sealed class SquareAttack : IAttack
{
    private readonly IScoreOracle _oracle;

    /// <summary>Creates the attack.</summary>
    /// <param name="oracle">The target's scores.</param>
    /// <param name="threat">An L∞ threat model.</param>
    /// <param name="queryBudget">Queries per input (≥ 1), initialization included (paper: 10 000).</param>
    /// <param name="pInit">p_init ∈ (0, 1], the initial share of pixels in a square (paper: 0.05 for L∞).</param>
    /// <param name="maxBatch">Most rows per oracle call.</param>
    /// <param name="seed">Seed of every random draw.</param>
    /// <exception cref="ArgumentException">The threat model is not L∞.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public SquareAttack(IScoreOracle oracle, ThreatModel threat, int queryBudget = 10_000, float pInit = 0.05f, int maxBatch = 4096, long seed = 0)
    {
        _oracle = oracle ?? throw new ArgumentNullException(nameof(oracle));
        Threat = (threat ?? throw new ArgumentNullException(nameof(threat))).Validated();
        if (Threat.Norm != AttackNorm.LInf) throw new ArgumentException($"Square: only the L∞ version is implemented; got {Threat.Norm}.", nameof(threat));
        QueryBudget = AttackChecks.AtLeast(Name, nameof(queryBudget), queryBudget, 1);
        PInit = pInit is > 0 and <= 1 ? pInit : throw new ArgumentOutOfRangeException(nameof(pInit), pInit, "Square: pInit must be in (0, 1], e.g. 0.05.");
        MaxBatch = AttackChecks.AtLeast(Name, nameof(maxBatch), maxBatch, 1);
        Seed = seed;
    }

    /// <inheritdoc/>
    public string Name => "Square";

    /// <inheritdoc/>
    public ThreatModel Threat { get; }

    /// <inheritdoc/>
    public long Queries { get; private set; }

    /// <summary>Queries per input, initialization included.</summary>
    public int QueryBudget { get; }

    /// <summary>p_init.</summary>
    public float PInit { get; }

    /// <summary>Most rows per oracle call.</summary>
    public int MaxBatch { get; }

    /// <summary>Seed of every random draw.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config => new Dictionary<string, object?>
    {
        ["attack"] = Name, ["norm"] = Threat.Norm.ToString(), ["epsilon"] = Threat.Epsilon, ["clip_min"] = Threat.ClipMin,
        ["clip_max"] = Threat.ClipMax, ["targeted"] = Threat.Targeted, ["query_budget"] = QueryBudget, ["p_init"] = PInit, ["seed"] = Seed,
    };

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">Inputs are not images (N, C, H, W).</exception>
    public Tensor Perturb(Tensor inputs, Tensor labels)
    {
        AttackChecks.Batch(Name, Threat, inputs, labels);
        if (inputs.Dim != 4) throw new ArgumentException($"Square: inputs must be images (N, C, H, W), got shape {inputs.Shape}.", nameof(inputs));
        var (n, d, shape) = AttackChecks.Dims(inputs);
        int ch = shape[1], h = shape[2], w = shape[3];
        var y = labels.ToInt64Array();
        var x0 = inputs.ToArray();
        float eps = Threat.Epsilon;
        var streams = new Generator[n];
        for (int i = 0; i < n; i++) streams[i] = RandomStreams.For(Seed, i, 0);

        var best = new float[x0.Length];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < ch; c++)
                for (int col = 0; col < w; col++)
                {
                    float sign = (streams[i].NextUInt64() & 1) == 0 ? eps : -eps;
                    for (int row = 0; row < h; row++)
                    {
                        int k = ((i * ch + c) * h + row) * w + col;
                        best[k] = Clip(x0[k] + sign, x0[k]);
                    }
                }
        var all = Enumerable.Range(0, n).ToArray();
        var loss = Margins(best, all, d, shape, y);

        var proposal = new float[d];
        for (int it = 0; it < QueryBudget - 1; it++)
        {
            var active = all.Where(i => loss[i] > 0).ToArray();
            if (active.Length == 0) break;
            int side = Math.Min(Math.Max((int)Math.Round(Math.Sqrt(PSelection(it) * h * w)), 1), Math.Max(h - 1, 1));
            var rows = new float[active.Length * d];
            for (int a = 0; a < active.Length; a++)
            {
                int i = active[a];
                var g = streams[i];
                var cur = best.AsSpan(i * d, d);
                cur.CopyTo(proposal);
                for (int attempt = 0; attempt < 100; attempt++)
                {
                    int top = (int)g.NextInt64(0, h - side + 1), left = (int)g.NextInt64(0, w - side + 1);
                    bool changed = false;
                    for (int c = 0; c < ch; c++)
                    {
                        float sign = (g.NextUInt64() & 1) == 0 ? eps : -eps;
                        for (int row = top; row < top + side; row++)
                            for (int col = left; col < left + side; col++)
                            {
                                int k = (c * h + row) * w + col;
                                proposal[k] = Clip(x0[i * d + k] + sign, x0[i * d + k]);
                                changed |= Math.Abs(proposal[k] - cur[k]) >= 1e-7f;
                            }
                    }
                    if (changed) break;
                }
                proposal.CopyTo(rows.AsSpan(a * d, d));
            }
            var newLoss = Margins(rows, active, d, shape, y);
            for (int a = 0; a < active.Length; a++)
            {
                int i = active[a];
                if (newLoss[a] < loss[i]) { loss[i] = newLoss[a]; Array.Copy(rows, a * d, best, i * d, d); }
            }
        }
        return Tensor.FromArray(best, shape);
    }

    private float Clip(float v, float clean) =>
        Math.Clamp(Math.Clamp(v, clean - Threat.Epsilon, clean + Threat.Epsilon), Threat.ClipMin, Threat.ClipMax);

    /// <summary>p at iteration <paramref name="it"/>: the paper's schedule for 10 000 iterations, rescaled to the budget.</summary>
    private double PSelection(int it)
    {
        int i = (int)((long)it * 10_000 / Math.Max(1, QueryBudget - 1));
        int halvings = i switch { <= 10 => 0, <= 50 => 1, <= 200 => 2, <= 500 => 3, <= 1000 => 4, <= 2000 => 5, <= 4000 => 6, <= 6000 => 7, <= 8000 => 8, _ => 9 };
        return PInit / Math.Pow(2, halvings);
    }

    /// <summary>Margins of the rows of <paramref name="rows"/> (row a belongs to input owners[a]), in oracle calls of at most <see cref="MaxBatch"/>.</summary>
    private float[] Margins(float[] rows, int[] owners, int d, int[] shape, long[] labels)
    {
        var result = new float[owners.Length];
        var rowShape = (int[])shape.Clone();
        for (int a0 = 0; a0 < owners.Length; a0 += MaxBatch)
        {
            int b = Math.Min(MaxBatch, owners.Length - a0);
            rowShape[0] = b;
            Tensor scores;
            using (Torch.NoGrad()) scores = _oracle.Scores(Tensor.FromArray(rows.AsSpan(a0 * d, b * d).ToArray(), rowShape));
            if (scores.Dim != 2 || scores.Size(0) != b)
                throw new InvalidOperationException($"Square: the oracle must return scores (B, C) with B = {b}, got shape {scores.Shape}.");
            int c = scores.Size(1);
            AttackChecks.LabelsBelow(Name, labels, c);
            var s = scores.ToArray();
            for (int r = 0; r < b; r++) result[a0 + r] = MarginLoss.Square(s.AsSpan(r * c, c), labels[owners[a0 + r]], Threat.Targeted);
            Queries += b;
        }
        return result;
    }
}
