using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Pruning;

/// <summary>
/// Which parameters are pruned, in which groups, towards which objectives, and by which rule (Algorithm 3 with step
/// ε, or the exact quantile). Parameters outside every group (e.g. LSTM biases) are never pruned.
/// </summary>
/// <example>
/// <code>
/// // Thesis setup for the language model: LSTM weights and embedding/decoder weights with separate objectives.
/// var plan = new PruningPlan([
///     PruningGroup.Match(model, "lstm", 0.8, ["*weight_ih_l*", "*weight_hh_l*"]),
///     PruningGroup.Match(model, "embedding", 0.5, ["encoder.weight"]) ]);
/// var result = plan.Prune(model, masks);   // new monotone masks + achieved sparsity per group
/// result.Masks.Apply(model);
/// </code>
/// </example>
public sealed class PruningPlan
{
    /// <summary>Creates a plan.</summary>
    /// <param name="groups">Groups (at least one; unique names; a parameter belongs to one group at most).</param>
    /// <param name="method">Selection rule (Algorithm 3 by default).</param>
    /// <param name="epsilon">Algorithm 3's threshold step ε (the thesis' 3·10⁻⁴ by default).</param>
    /// <exception cref="ArgumentException">No groups, a duplicate group name, a parameter in two groups, or ε not positive.</exception>
    public PruningPlan(IEnumerable<PruningGroup> groups, PruningMethod method = PruningMethod.Threshold, double epsilon = MagnitudePruning.DefaultEpsilon)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var list = new List<PruningGroup>(groups);
        if (list.Count == 0) throw new ArgumentException("PruningPlan: no groups; add at least one PruningGroup (e.g. PruningGroup.Match(model, \"lstm\", 0.5, [\"*weight_*h_l*\"])).", nameof(groups));
        MagnitudePruning.CheckEpsilon(epsilon, "PruningPlan");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var g in list)
        {
            ArgumentNullException.ThrowIfNull(g);
            if (!names.Add(g.Name)) throw new ArgumentException($"PruningPlan: two groups are named '{g.Name}'; group names must be unique.", nameof(groups));
            foreach (var p in g.ParameterNames)
                if (!owner.TryAdd(p, g.Name))
                    throw new ArgumentException($"PruningPlan: parameter '{p}' is in groups '{owner[p]}' and '{g.Name}'; a parameter can be pruned by one group only.", nameof(groups));
        }
        Groups = list;
        Method = method;
        Epsilon = epsilon;
    }

    /// <summary>The groups, in pruning order.</summary>
    public IReadOnlyList<PruningGroup> Groups { get; }

    /// <summary>Selection rule.</summary>
    public PruningMethod Method { get; }

    /// <summary>Algorithm 3's threshold step ε.</summary>
    public double Epsilon { get; }

    /// <summary>The group named <paramref name="groupName"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such group.</exception>
    public PruningGroup this[string groupName]
    {
        get
        {
            foreach (var g in Groups) if (g.Name == groupName) return g;
            throw new KeyNotFoundException($"PruningPlan: no group '{groupName}'; groups: {string.Join(", ", Groups.Select(g => g.Name))}.");
        }
    }

    /// <summary>The same plan with every group's objective set to <paramref name="objective"/>.</summary>
    public PruningPlan WithObjective(double objective) => WithObjectives(_ => objective);

    /// <summary>The same plan with each group's objective given by <paramref name="objectiveOf"/>.</summary>
    public PruningPlan WithObjectives(Func<PruningGroup, double> objectiveOf)
    {
        ArgumentNullException.ThrowIfNull(objectiveOf);
        var gs = new List<PruningGroup>(Groups.Count);
        foreach (var g in Groups) gs.Add(g.WithObjective(objectiveOf(g)));
        return new PruningPlan(gs, Method, Epsilon);
    }

    /// <summary>The same groups and objectives with another rule or step.</summary>
    public PruningPlan WithMethod(PruningMethod method, double? epsilon = null) => new(Groups, method, epsilon ?? Epsilon);

    /// <summary>
    /// The thesis' default for recurrent models: group <c>"lstm"</c> holds every recurrent weight matrix
    /// (<c>weight_ih_*</c>, <c>weight_hh_*</c>) under one global threshold; when <paramref name="otherWeightsObjective"/>
    /// is set, group <c>"other"</c> holds the remaining weight matrices (embedding, FC/decoder: parameters with ≥ 2
    /// dimensions). Biases (LSTM and FC) are never pruned.
    /// </summary>
    /// <exception cref="ArgumentException">The model has no recurrent weights, or no other weight matrices when requested.</exception>
    public static PruningPlan Recurrent(Module model, double lstmObjective, double? otherWeightsObjective = null,
        PruningMethod method = PruningMethod.Threshold, double epsilon = MagnitudePruning.DefaultEpsilon)
    {
        ArgumentNullException.ThrowIfNull(model);
        var groups = new List<PruningGroup> { PruningGroup.Match(model, "lstm", lstmObjective, ["*weight_ih*", "*weight_hh*"]) };
        if (otherWeightsObjective is double o)
        {
            var rnn = new HashSet<string>(groups[0].ParameterNames, StringComparer.Ordinal);
            var other = new List<string>();
            foreach (var (n, p) in model.NamedParameters())
                if (!rnn.Contains(n) && p.Dim >= 2) other.Add(n);
            if (other.Count == 0) throw new ArgumentException("PruningPlan.Recurrent: the model has no weight matrices besides the recurrent ones; pass otherWeightsObjective: null.", nameof(otherWeightsObjective));
            groups.Add(new PruningGroup("other", other, o));
        }
        return new PruningPlan(groups, method, epsilon);
    }

    /// <summary>
    /// Prunes <paramref name="model"/>'s current weights: returns new masks that keep every position already pruned in
    /// <paramref name="current"/> and prune more until each group meets its objective. The model is not modified;
    /// call <see cref="PruningMasks.Apply"/> on the result.
    /// </summary>
    /// <param name="model">Model whose weight magnitudes decide (positions masked in <paramref name="current"/> count as 0).</param>
    /// <param name="current">Masks of earlier rounds (null: dense). Masks of parameters outside the plan are carried over.</param>
    /// <exception cref="ArgumentException">A parameter is missing from the model or not Float32, or a weight is NaN/∞.</exception>
    public PruneResult Prune(Module model, PruningMasks? current = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        current ??= new PruningMasks();
        var order = new Dictionary<string, (int Index, Tensor Param)>(StringComparer.Ordinal);
        int idx = 0;
        foreach (var (n, p) in model.NamedParameters()) order[n] = (idx++, p);

        var masks = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var n in current.Names) masks[n] = current[n]!.Clone();

        var results = new List<GroupPruneResult>(Groups.Count);
        foreach (var g in Groups)
        {
            var members = new List<(string Name, Tensor Param)>();
            foreach (var n in g.ParameterNames)
            {
                if (!order.TryGetValue(n, out var e))
                    throw new ArgumentException($"PruningPlan.Prune: group '{g.Name}' lists parameter '{n}', which the model does not have (it has: {string.Join(", ", order.Keys)}).", nameof(model));
                if (e.Param.DType != DType.Float32) throw new ArgumentException($"PruningPlan.Prune: parameter '{n}' of group '{g.Name}' is {e.Param.DType}; only Float32 weights can be pruned.", nameof(model));
                var m = current[n];
                if (m is not null && !m.Shape.Equals(e.Param.Shape))
                    throw new ArgumentException($"PruningPlan.Prune: parameter '{n}' has shape {e.Param.Shape} but its current mask has shape {m.Shape}; the masks belong to another architecture.", nameof(current));
                members.Add((n, e.Param));
            }
            // The model's parameter order fixes the flat layout, so tie-breaking does not depend on pattern order.
            members.Sort((x, y) => order[x.Name].Index.CompareTo(order[y.Name].Index));

            var tensors = new List<TensorPruneResult>(members.Count);
            double? shared = null;
            if (g.Scope == ThresholdScope.Group)
            {
                long total = 0;
                foreach (var (_, p) in members) total += p.Numel;
                if (total > Array.MaxLength) throw new ArgumentException($"PruningPlan.Prune: group '{g.Name}' has {total} weights, more than one buffer holds; use ThresholdScope.PerTensor.");
                var a = new float[total];
                var mask = new float[total];
                int off = 0;
                foreach (var (n, p) in members) { Gather(g, n, p, current[n], a.AsSpan(off, p.Numel), mask.AsSpan(off, p.Numel)); off += p.Numel; }
                var (t, k, _) = MagnitudePruning.Prune(a, mask, g.Objective, Method, Epsilon);
                shared = t;
                off = 0;
                foreach (var (n, p) in members)
                {
                    var seg = mask.AsSpan(off, p.Numel);
                    masks[n] = ToTensor(seg, p);
                    tensors.Add(new TensorPruneResult(n, t, k, MaskKernel.CountZeros(seg), p.Numel));
                    off += p.Numel;
                }
            }
            else
            {
                foreach (var (n, p) in members)
                {
                    var a = new float[p.Numel];
                    var mask = new float[p.Numel];
                    Gather(g, n, p, current[n], a, mask);
                    var (t, k, pruned) = MagnitudePruning.Prune(a, mask, g.Objective, Method, Epsilon);
                    masks[n] = ToTensor(mask, p);
                    tensors.Add(new TensorPruneResult(n, t, k, pruned, p.Numel));
                }
            }
            results.Add(new GroupPruneResult(g.Name, g.Objective, Method, g.Scope, shared, tensors));
        }
        return new PruneResult(PruningMasks.Own(masks), results);
    }

    /// <summary>Effective magnitudes (|w|, 0 where already pruned) and the current mask (1 when there is none).</summary>
    private static void Gather(PruningGroup g, string name, Tensor p, Tensor? current, Span<float> a, Span<float> mask)
    {
        TensorPrimitives.Abs(MaskKernel.Read(p), a);
        try { MagnitudePruning.CheckFinite(a, $"PruningPlan.Prune (group '{g.Name}', parameter '{name}')"); }
        catch (ArgumentException) when (current is not null) { RecheckMasked(g, name, a, current); }
        if (current is null) mask.Fill(1f);
        else
        {
            MaskKernel.Read(current).CopyTo(mask);
            MaskKernel.Apply(a, mask);
        }
    }

    // Non-finite values are tolerated only at already-pruned positions (they are masked to 0 anyway).
    private static void RecheckMasked(PruningGroup g, string name, Span<float> a, Tensor current)
    {
        var m = MaskKernel.Read(current);
        for (int i = 0; i < a.Length; i++)
            if (!float.IsFinite(a[i]) && m[i] != 0f)
                throw new ArgumentException($"PruningPlan.Prune (group '{g.Name}', parameter '{name}'): weight {i} is {a[i]}; magnitude pruning needs finite weights (training diverged? lower the learning rate or clip gradients).");
    }

    private static Tensor ToTensor(ReadOnlySpan<float> mask, Tensor like)
    {
        var t = Tensor.Zeros(like.Shape.ToArray());
        mask.CopyTo(t.AsSpan());
        return t;
    }
}
