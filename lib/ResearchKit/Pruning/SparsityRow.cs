namespace ResearchKit.Pruning;

/// <summary>Sparsity of one parameter or one category in a <see cref="SparsityReport"/>.</summary>
/// <param name="Name">Dotted parameter name, or the category's display name for aggregated rows.</param>
/// <param name="Category">Table 4.4 category.</param>
/// <param name="Total">Number of weights.</param>
/// <param name="Pruned">Pruned (masked, or exactly zero) weights.</param>
public sealed record SparsityRow(string Name, ParameterCategory Category, long Total, long Pruned)
{
    /// <summary>Weights left, <see cref="Total"/> − <see cref="Pruned"/>.</summary>
    public long Remaining => Total - Pruned;

    /// <summary><see cref="Pruned"/> / <see cref="Total"/> (0 for an empty row).</summary>
    public double Sparsity => Total == 0 ? 0 : (double)Pruned / Total;
}
