using System.Numerics;

namespace ResearchKit.Pruning;

/// <summary>
/// The magnitude-pruning selection rules on flat magnitude buffers: the thesis' Algorithm 3 (ε-grid threshold) and
/// the exact quantile variant. <see cref="PruningPlan"/> gathers the weights of a group and calls these.
/// </summary>
/// <remarks>
/// Both rules work on <em>effective</em> magnitudes: an already-pruned weight counts as 0, so it is at or below any
/// threshold and counts towards the objective; masks only ever lose ones (monotone).
/// The fraction test is <c>(double)count / n ≥ objective</c>, which is met exactly when at least
/// <see cref="TargetCount"/> weights are pruned.
/// </remarks>
public static class MagnitudePruning
{
    /// <summary>The thesis' threshold step ε = 3·10⁻⁴.</summary>
    public const double DefaultEpsilon = 3e-4;

    /// <summary>The smallest count c in [0, n] with <c>(double)c / n ≥ objective</c>: how many weights an objective prunes.</summary>
    /// <param name="n">Number of weights (≥ 1).</param>
    /// <param name="objective">Sparsity objective in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> &lt; 1 or the objective is outside [0, 1].</exception>
    public static long TargetCount(long n, double objective)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "MagnitudePruning.TargetCount: need at least one weight to prune.");
        CheckObjective(objective, "MagnitudePruning.TargetCount");
        long c = Math.Clamp((long)Math.Ceiling(objective * n), 0, n);
        // objective·n rounds; settle the exact smallest c with the same double comparison the fraction test uses.
        while (c > 0 && (double)(c - 1) / n >= objective) c--;
        while (c < n && (double)c / n < objective) c++;
        return c;
    }

    /// <summary>
    /// Algorithm 3 on |<paramref name="values"/>|: the first grid point <c>t_k = k·ε</c> (k = 0, 1, 2, …) at which the
    /// fraction of values with <c>|v| ≤ t_k</c> is ≥ <paramref name="objective"/>.
    /// </summary>
    /// <remarks>
    /// The thesis raises the threshold by repeated addition; here <c>t_k</c> is computed as <c>k·ε</c> in double so
    /// the grid does not drift with rounding. Instead of scanning the grid (O(n·k)), the k-th smallest magnitude v
    /// is selected and k is the smallest integer with <c>k·ε ≥ v</c>: the same grid point the loop stops at.
    /// </remarks>
    /// <param name="values">Weights (signs ignored).</param>
    /// <param name="objective">Sparsity objective in [0, 1].</param>
    /// <param name="epsilon">Grid step ε &gt; 0.</param>
    /// <param name="steps">The grid index k of the returned threshold.</param>
    /// <returns>The threshold <c>k·ε</c>; prune every weight with <c>|w| ≤ threshold</c>.</returns>
    /// <exception cref="ArgumentException">Empty input, NaN/∞ values, objective outside [0, 1] or ε not positive.</exception>
    public static double Algorithm3Threshold(ReadOnlySpan<float> values, double objective, double epsilon, out long steps)
    {
        var a = new float[values.Length];
        System.Numerics.Tensors.TensorPrimitives.Abs(values, a);
        CheckFinite(a, "MagnitudePruning.Algorithm3Threshold");
        return ThresholdOf(a, objective, epsilon, out steps);
    }

    /// <summary>Algorithm 3 on effective magnitudes <paramref name="a"/> (reordered in place).</summary>
    internal static double ThresholdOf(float[] a, double objective, double epsilon, out long steps)
    {
        CheckObjective(objective, "MagnitudePruning");
        CheckEpsilon(epsilon, "MagnitudePruning");
        if (a.Length == 0) throw new ArgumentException("MagnitudePruning: nothing to prune (zero weights); select at least one non-empty parameter.");
        long c = TargetCount(a.Length, objective);
        if (c == 0) { steps = 0; return 0; }
        double v = KthSmallest(a, a.Length, (int)(c - 1));
        steps = GridIndex(v, epsilon);
        return steps * epsilon;
    }

    /// <summary>The smallest k ≥ 0 with <c>k·ε ≥ v</c>.</summary>
    internal static long GridIndex(double v, double epsilon)
    {
        if (v <= 0) return 0;
        long k = (long)Math.Ceiling(v / epsilon);
        while (k > 0 && (k - 1) * epsilon >= v) k--;
        while (k * epsilon < v) k++;
        return k;
    }

    /// <summary>
    /// Prunes a flat group in place. <paramref name="a"/>: effective magnitudes (0 where <paramref name="mask"/> is 0);
    /// <paramref name="mask"/>: the previous mask on entry, the new (monotone) mask on return.
    /// </summary>
    /// <returns>The threshold (Algorithm 3: <c>k·ε</c>; quantile: the magnitude at the cut), the grid index k (0 for quantile) and the pruned count.</returns>
    internal static (double Threshold, long Steps, long Pruned) Prune(float[] a, float[] mask, double objective, PruningMethod method, double epsilon)
    {
        int n = a.Length;
        if (method == PruningMethod.Threshold)
        {
            var scratch = (float[])a.Clone();
            double t = ThresholdOf(scratch, objective, epsilon, out long k);
            long pruned = 0;
            for (int i = 0; i < n; i++)
            {
                if (a[i] <= t) mask[i] = 0f;
                if (mask[i] == 0f) pruned++;
            }
            return (t, k, pruned);
        }

        CheckObjective(objective, "MagnitudePruning");
        if (n == 0) throw new ArgumentException("MagnitudePruning: nothing to prune (zero weights); select at least one non-empty parameter.");
        long prev = MaskKernel.CountZeros(mask);
        long target = TargetCount(n, objective);
        if (target <= prev) return (0, 0, prev); // already sparse enough; masks never regrow.
        // Select the r smallest still-alive weights by (|w|, position): all below the cut value, then ties in order.
        int r = (int)(target - prev);
        var alive = new float[n - prev];
        int m = 0;
        for (int i = 0; i < n; i++) if (mask[i] != 0f) alive[m++] = a[i];
        float cut = KthSmallest(alive, m, r - 1);
        int below = 0;
        for (int i = 0; i < n; i++) if (mask[i] != 0f && a[i] < cut) below++;
        int ties = r - below;
        for (int i = 0; i < n; i++)
        {
            if (mask[i] == 0f) continue;
            if (a[i] < cut) mask[i] = 0f;
            else if (a[i] == cut && ties > 0) { mask[i] = 0f; ties--; }
        }
        return (cut, 0, target);
    }

    /// <summary>The k-th smallest (0-based) of <c>a[0..n)</c>; reorders <paramref name="a"/>.</summary>
    /// <remarks>Quickselect with a three-way partition (pruned weights make long runs of equal zeros) and a sort
    /// fallback past a depth limit, so the worst case stays O(n log n).</remarks>
    internal static float KthSmallest(float[] a, int n, int k)
    {
        int lo = 0, hi = n - 1, depth = 0, limit = 2 * BitOperations.Log2((uint)Math.Max(n, 1)) + 16;
        while (lo < hi)
        {
            if (++depth > limit) { Array.Sort(a, lo, hi - lo + 1); return a[k]; }
            int mid = lo + ((hi - lo) >> 1);
            float x = a[lo], y = a[mid], z = a[hi];
            float p = Math.Max(Math.Min(x, y), Math.Min(Math.Max(x, y), z));
            int lt = lo, i = lo, gt = hi;
            while (i <= gt)
            {
                float v = a[i];
                if (v < p) { a[i] = a[lt]; a[lt] = v; lt++; i++; }
                else if (v > p) { a[i] = a[gt]; a[gt] = v; gt--; }
                else i++;
            }
            if (k < lt) hi = lt - 1;
            else if (k > gt) lo = gt + 1;
            else return p;
        }
        return a[k];
    }

    /// <summary>Throws when a magnitude is NaN or infinite (a diverged run must not be pruned silently).</summary>
    internal static void CheckFinite(ReadOnlySpan<float> a, string where)
    {
        for (int i = 0; i < a.Length; i++)
            if (!float.IsFinite(a[i]))
                throw new ArgumentException($"{where}: weight {i} is {a[i]}; magnitude pruning needs finite weights (training diverged? lower the learning rate or clip gradients).");
    }

    internal static void CheckObjective(double objective, string where)
    {
        if (!(objective >= 0 && objective <= 1))
            throw new ArgumentOutOfRangeException(nameof(objective), objective, $"{where}: the sparsity objective must be in [0, 1] (a fraction, e.g. 0.7 for 70%), got {objective}.");
    }

    internal static void CheckEpsilon(double epsilon, string where)
    {
        if (!(epsilon > 0 && double.IsFinite(epsilon)))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"{where}: the threshold step ε must be a positive finite number (the thesis uses 3e-4), got {epsilon}.");
    }
}
