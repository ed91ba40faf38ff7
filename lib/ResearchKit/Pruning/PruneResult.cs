namespace ResearchKit.Pruning;

/// <summary>The outcome of <see cref="PruningPlan.Prune"/>: the new masks and what each group achieved.</summary>
/// <param name="Masks">New masks: the previous ones with more positions pruned (monotone); not yet applied to the model.</param>
/// <param name="Groups">Per-group results in plan order.</param>
public sealed record PruneResult(PruningMasks Masks, IReadOnlyList<GroupPruneResult> Groups)
{
    /// <summary>The result of the group named <paramref name="groupName"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such group.</exception>
    public GroupPruneResult this[string groupName]
    {
        get
        {
            foreach (var g in Groups) if (g.Name == groupName) return g;
            throw new KeyNotFoundException($"PruneResult: no group '{groupName}'; groups: {string.Join(", ", Groups.Select(g => g.Name))}.");
        }
    }

    /// <summary>Sparsity over all pruned groups together.</summary>
    public double Sparsity
    {
        get
        {
            long p = 0, t = 0;
            foreach (var g in Groups) { p += g.Pruned; t += g.Total; }
            return t == 0 ? 0 : (double)p / t;
        }
    }
}
