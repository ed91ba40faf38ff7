namespace ResearchKit.Figures;

/// <summary>
/// One curve of a thesis figure: y over x (steps, sparsity, bit width), optionally the mean over seeds with its
/// standard deviation, drawn by <see cref="Charts"/> as a line plus a shaded band mean ± std.
/// </summary>
/// <param name="Name">Legend entry.</param>
/// <param name="X">x values.</param>
/// <param name="Y">y values; non-finite values are gaps.</param>
/// <param name="Std">Half-width of the band per point (std over seeds), or null for no band.</param>
/// <example><code>new Curve("LeNet-5", sparsity, meanAcc, stdAcc)</code></example>
public sealed record Curve(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? Std = null)
{
    /// <summary>Draws a marker at each point (for few points, e.g. one per pruning round).</summary>
    public bool Markers { get; init; }

    /// <summary>CSS colour of line and band; null takes the theme's colour for the series' position.</summary>
    public string? Color { get; init; }

    /// <summary>plotly dash pattern ("solid", "dash", "dot", "dashdot"); null is solid.</summary>
    public string? Dash { get; init; }

    /// <summary>The mean and sample std (correction 1, as torch.std) per x over seeds: <paramref name="runs"/>[seed][i].</summary>
    /// <param name="name">Legend entry.</param>
    /// <param name="x">x values (length n).</param>
    /// <param name="runs">One array of n values per seed; non-finite values are skipped.</param>
    /// <exception cref="ArgumentException">No runs, or a run whose length is not n.</exception>
    public static Curve OverSeeds(string name, IReadOnlyList<double> x, IReadOnlyList<IReadOnlyList<double>> runs)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) throw new ArgumentException($"Curve.OverSeeds(\"{name}\"): no runs given.", nameof(runs));
        for (int r = 0; r < runs.Count; r++)
            if (runs[r].Count != x.Count)
                throw new ArgumentException($"Curve.OverSeeds(\"{name}\"): run {r} has {runs[r].Count} values but x has {x.Count}.", nameof(runs));
        var mean = new double[x.Count];
        var std = new double[x.Count];
        for (int i = 0; i < x.Count; i++)
        {
            var v = runs.Select(run => run[i]).Where(double.IsFinite).ToArray();
            mean[i] = v.Length > 0 ? v.Average() : double.NaN;
            std[i] = v.Length > 1 ? Math.Sqrt(v.Sum(a => (a - mean[i]) * (a - mean[i])) / (v.Length - 1)) : 0;
        }
        return new Curve(name, x, mean, std);
    }
}
