namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// Base of the multipliers here: checks the operands, multiplies their magnitudes with <see cref="MultiplyMagnitudes"/>
/// and applies the sign (see <see cref="IApproximateMultiplier"/>).
/// </summary>
/// <remarks>A zero operand gives 0 without calling the core (zero detection): a logarithmic core cannot represent log 0,
/// and a constant-corrected truncated core would otherwise turn every zero activation of a ReLU network into a
/// systematic offset.</remarks>
public abstract class SignMagnitudeMultiplier : IApproximateMultiplier
{
    /// <summary>Checks the width of the magnitude core.</summary>
    /// <param name="bits">Magnitude width, in [2, 30] (products then fit a long with room to spare).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bits"/> is outside [2, 30].</exception>
    protected SignMagnitudeMultiplier(int bits)
    {
        if (bits < 2 || bits > 30)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"{GetType().Name}: bits = {bits}; use a magnitude width in [2, 30] (8 for int8 inference).");
        Bits = bits;
        MaxMagnitude = (1L << bits) - 1;
    }

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public int Bits { get; }

    /// <summary>The largest operand magnitude, 2^Bits − 1.</summary>
    public long MaxMagnitude { get; }

    /// <inheritdoc/>
    public long Multiply(int a, int b)
    {
        long ma = Math.Abs((long)a), mb = Math.Abs((long)b);
        if (ma > MaxMagnitude || mb > MaxMagnitude)
            throw new ArgumentOutOfRangeException(ma > MaxMagnitude ? nameof(a) : nameof(b), ma > MaxMagnitude ? a : b,
                $"{Name}: operand magnitude exceeds {MaxMagnitude} (= 2^{Bits} − 1); quantize to at most {Bits} magnitude bits or use a wider multiplier.");
        if (ma == 0 || mb == 0) return 0;
        long p = MultiplyMagnitudes(ma, mb);
        return (a < 0) != (b < 0) ? -p : p;
    }

    /// <summary>The core: the approximate product of two magnitudes in [1, 2^Bits − 1].</summary>
    /// <param name="a">First magnitude.</param>
    /// <param name="b">Second magnitude.</param>
    /// <returns>The approximate product (non-negative).</returns>
    protected abstract long MultiplyMagnitudes(long a, long b);

    /// <summary>Position of the leading one of a positive value (floor(log2 v)).</summary>
    protected static int LeadingOne(long v) => 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)v);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
