namespace ResearchKit.Quantization.Export;

/// <summary>
/// The unsigned uniform grid {j·<see cref="Step"/>, j = 0..<see cref="Levels"/>−1} that an exported layer's input lies on
/// (PACT's k·α/(2^a−1), unsigned LSQ's k·s), so the layer can multiply integer activation codes j.
/// </summary>
/// <param name="Step">The activation step s_a (α/(2^a−1) for PACT).</param>
/// <param name="Levels">Number of levels (2^a).</param>
/// <param name="InputOnGrid">True: the input is the output of the activation quantizer at <paramref name="Source"/> and must
/// already be on the grid (checked value by value at inference); false: the layer's own input quantizer, whose rounding the
/// integer layer reproduces, j = min(round(max(x, 0)/s_a), Levels − 1).</param>
/// <param name="Source">Module path of the activation quantizer that produces the input, or <c>input_quant</c> for the layer's own.</param>
public sealed record ActivationGrid(float Step, int Levels, bool InputOnGrid, string Source)
{
    /// <summary>Bits of one activation code.</summary>
    public int Bits => PackedCodes.BitsForLevels(Levels);

    /// <summary>The code of <paramref name="x"/>: min(round(max(x, 0)/<see cref="Step"/>), <see cref="Levels"/> − 1), ties to even (PACT's and LSQ's rounding).</summary>
    public int Code(float x)
    {
        float r = MathF.Round(MathF.Max(x, 0f) / Step, MidpointRounding.ToEven);
        return r >= Levels - 1 ? Levels - 1 : (int)r;
    }
}
