namespace ResearchKit.Quantization;

/// <summary>
/// The representable values of a quantizer: one ascending list per channel (a single list when every channel shares it),
/// and the step between neighbours for uniform grids.
/// </summary>
/// <param name="Levels">Ascending levels, one list per channel, or one list shared by all channels.</param>
/// <param name="Steps">The step of each uniform grid (same count as <paramref name="Levels"/>), or null for non-uniform grids (power of two).</param>
public sealed record QuantGrid(IReadOnlyList<float[]> Levels, IReadOnlyList<float>? Steps)
{
    /// <summary>The levels of a grid shared by all channels.</summary>
    /// <exception cref="InvalidOperationException">The grid is per channel; read <see cref="Levels"/>[c] instead.</exception>
    public float[] Shared => Levels.Count == 1 ? Levels[0]
        : throw new InvalidOperationException($"QuantGrid.Shared: the grid has {Levels.Count} per-channel level lists; read Levels[channel].");

    /// <summary>A uniform grid shared by all channels: <paramref name="count"/> levels <c>first + k·step</c>.</summary>
    public static QuantGrid Uniform(float first, float step, int count) => new([UniformLevels(first, step, count)], [step]);

    /// <summary>The levels <c>first + k·step</c>, k = 0..count−1.</summary>
    internal static float[] UniformLevels(float first, float step, int count)
    {
        var l = new float[count];
        for (int k = 0; k < count; k++) l[k] = first + k * step;
        return l;
    }
}
