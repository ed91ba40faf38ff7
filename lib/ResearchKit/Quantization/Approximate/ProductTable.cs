namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// Every product an integer layer can ask of a multiplier, computed once: rows are weight codes
/// w ∈ [−(2^(b−1) − 1), 2^(b−1) − 1], columns activation codes x ∈ [−(2^(b−1) − 1), 2^b − 1] (signed or unsigned
/// activations), entry = <see cref="IApproximateMultiplier.Multiply"/>(x, w), with b = the multiplier's
/// <see cref="IApproximateMultiplier.Bits"/> (≤ 8, so at most 255 × 383 entries).
/// </summary>
/// <remarks>A lookup replaces a call per multiply-accumulate, which keeps approximate inference of a CIFAR network
/// affordable; the table is shared by every layer of a model (<see cref="ApproximateModel.Replace"/>).</remarks>
public sealed class ProductTable
{
    private readonly int[] _table;
    private readonly bool[] _zeroRow;

    /// <summary>Tabulates <paramref name="multiplier"/>.</summary>
    /// <param name="multiplier">A multiplier with <see cref="IApproximateMultiplier.Bits"/> in [2, 8].</param>
    /// <exception cref="ArgumentException">The multiplier is wider than 8 bits, or one of its products does not fit an int.</exception>
    public ProductTable(IApproximateMultiplier multiplier)
    {
        ArgumentNullException.ThrowIfNull(multiplier);
        int b = multiplier.Bits;
        if (b < 2 || b > 8)
            throw new ArgumentException($"ProductTable: '{multiplier.Name}' has {b} bits; tabulate a multiplier of 2 to 8 bits (int8 inference uses 8).", nameof(multiplier));
        Multiplier = multiplier;
        WeightMax = (1 << (b - 1)) - 1;
        InputMin = -WeightMax;
        UnsignedInputMax = (1 << b) - 1;
        Columns = UnsignedInputMax - InputMin + 1;
        int rows = 2 * WeightMax + 1;
        _table = new int[rows * Columns];
        _zeroRow = new bool[rows];
        for (int w = -WeightMax; w <= WeightMax; w++)
        {
            bool zero = true;
            for (int x = InputMin; x <= UnsignedInputMax; x++)
            {
                long p = multiplier.Multiply(x, w);
                if (p is < int.MinValue or > int.MaxValue)
                    throw new ArgumentException($"ProductTable: '{multiplier.Name}' gives {p} for {x}·{w}, which does not fit an int.", nameof(multiplier));
                _table[(w + WeightMax) * Columns + (x - InputMin)] = (int)p;
                zero &= p == 0;
            }
            _zeroRow[w + WeightMax] = zero;
        }
    }

    /// <summary>The tabulated multiplier.</summary>
    public IApproximateMultiplier Multiplier { get; }

    /// <summary>Quantization width b (the multiplier's <see cref="IApproximateMultiplier.Bits"/>).</summary>
    public int Bits => Multiplier.Bits;

    /// <summary>Largest weight code, 2^(b−1) − 1 (symmetric codes, also the largest signed activation code).</summary>
    public int WeightMax { get; }

    /// <summary>Smallest activation code, −(2^(b−1) − 1).</summary>
    public int InputMin { get; }

    /// <summary>Largest unsigned activation code, 2^b − 1.</summary>
    public int UnsignedInputMax { get; }

    /// <summary>Activation codes per row (the row stride).</summary>
    public int Columns { get; }

    /// <summary>The tabulated product of activation code <paramref name="x"/> and weight code <paramref name="w"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A code is outside the table.</exception>
    public int this[int w, int x]
    {
        get
        {
            if (w < -WeightMax || w > WeightMax) throw new ArgumentOutOfRangeException(nameof(w), w, $"ProductTable: weight codes are in [{-WeightMax}, {WeightMax}].");
            if (x < InputMin || x > UnsignedInputMax) throw new ArgumentOutOfRangeException(nameof(x), x, $"ProductTable: activation codes are in [{InputMin}, {UnsignedInputMax}].");
            return _table[(w + WeightMax) * Columns + (x - InputMin)];
        }
    }

    /// <summary>The row of weight code w, indexed by x − <see cref="InputMin"/>.</summary>
    internal ReadOnlySpan<int> Row(int w) => _table.AsSpan((w + WeightMax) * Columns, Columns);

    /// <summary>Whether every product with weight code w is 0 (the row can be skipped).</summary>
    internal bool IsZeroRow(int w) => _zeroRow[w + WeightMax];
}
