namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// A truncated array multiplier: the partial-product bits a_i·b_j of the columns i + j &lt; <see cref="DroppedColumns"/>
/// are never added, optionally compensated by a constant (Schulte and Swartzlander's constant-correction truncation).
/// </summary>
/// <remarks>
/// The error is −(sum of the dropped bits) + C, so it lies in [C − <see cref="MaxDropped"/>, C]. C is the expected
/// dropped sum for independent uniform bits (each a_i·b_j is 1 with probability ¼), rounded to a multiple of
/// 2^DroppedColumns because only the kept columns exist to hold it; without correction C = 0 and the multiplier always
/// underestimates.
/// </remarks>
public sealed class TruncatedMultiplier : SignMagnitudeMultiplier
{
    /// <summary>Creates a truncated multiplier.</summary>
    /// <param name="droppedColumns">Least significant partial-product columns dropped, in [0, 2·bits − 1].</param>
    /// <param name="correction">Whether to add the correction constant.</param>
    /// <param name="bits">Magnitude width (default 8).</param>
    /// <exception cref="ArgumentOutOfRangeException">A width is out of range.</exception>
    public TruncatedMultiplier(int droppedColumns, bool correction = false, int bits = 8) : base(bits)
    {
        if (droppedColumns < 0 || droppedColumns > 2 * bits - 1)
            throw new ArgumentOutOfRangeException(nameof(droppedColumns), droppedColumns,
                $"TruncatedMultiplier: droppedColumns = {droppedColumns}; a {bits}-bit array has columns 0..{2 * bits - 2}, so drop 0 to {2 * bits - 1}.");
        DroppedColumns = droppedColumns;
        Corrected = correction;
        long max = 0;
        for (int c = 0; c < droppedColumns; c++)
            max += (long)BitPairs(c, bits) << c;
        MaxDropped = max;
        // Rounded to whole units of 2^k: E[dropped] = MaxDropped / 4.
        Correction = correction && droppedColumns > 0
            ? (long)Math.Round(max / 4.0 / (1L << droppedColumns), MidpointRounding.ToEven) << droppedColumns
            : 0;
    }

    /// <summary>Number of dropped partial-product columns.</summary>
    public int DroppedColumns { get; }

    /// <summary>Whether the correction constant is added.</summary>
    public bool Corrected { get; }

    /// <summary>The correction constant C (0 without correction).</summary>
    public long Correction { get; }

    /// <summary>The largest possible sum of the dropped bits: Σ_{c &lt; k} (bit pairs with i + j = c)·2^c.</summary>
    public long MaxDropped { get; }

    /// <inheritdoc/>
    public override string Name => Corrected ? $"Trunc-{DroppedColumns}+C" : $"Trunc-{DroppedColumns}";

    /// <summary>The sum of the partial-product bits a_i·b_j·2^(i+j) with i + j &lt; <see cref="DroppedColumns"/>.</summary>
    /// <param name="a">First magnitude.</param>
    /// <param name="b">Second magnitude.</param>
    /// <returns>The dropped value (between 0 and <see cref="MaxDropped"/>).</returns>
    public long DroppedSum(long a, long b)
    {
        long sum = 0;
        for (int i = 0; i < DroppedColumns && i < Bits; i++)
            if (((a >> i) & 1) != 0)
                sum += (b & ((1L << (DroppedColumns - i)) - 1)) << i;   // bits j < k − i of b
        return sum;
    }

    /// <inheritdoc/>
    protected override long MultiplyMagnitudes(long a, long b) => a * b - DroppedSum(a, b) + Correction;

    // Pairs (i, j) in [0, bits)² with i + j = c.
    private static int BitPairs(int c, int bits) => Math.Max(0, Math.Min(c, bits - 1) - Math.Max(0, c - bits + 1) + 1);
}
