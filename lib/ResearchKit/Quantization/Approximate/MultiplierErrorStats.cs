namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// Error statistics of a multiplier against the exact product over all pairs of n-bit operands (n ≤ 8: all 2^(2n)
/// pairs; wider: a seeded uniform sample), in the metrics of the approximate-arithmetic literature (EvoApprox8b).
/// </summary>
/// <remarks>With P the exact and P' the approximate product and e = P' − P: bias = mean e; MAE = mean |e|;
/// NMED = MAE / max |P| over the domain; MRED = mean |e| / |P| over the pairs with P ≠ 0; mean relative error = mean e / |P|
/// over the same pairs (its sign says whether the multiplier under- or overestimates on average); max relative error =
/// max |e| / |P|; worst-case error = max |e|; error probability = share of pairs with e ≠ 0.</remarks>
public sealed record MultiplierErrorStats
{
    /// <summary>The multiplier's <see cref="IApproximateMultiplier.Name"/>.</summary>
    public required string Multiplier { get; init; }
    /// <summary>Operand width n.</summary>
    public required int Bits { get; init; }
    /// <summary>The operand domain enumerated.</summary>
    public required OperandDomain Domain { get; init; }
    /// <summary>Whether every pair was visited (n ≤ 8) rather than a sample.</summary>
    public required bool Exhaustive { get; init; }
    /// <summary>Number of operand pairs evaluated.</summary>
    public required long Pairs { get; init; }
    /// <summary>Mean error, mean (P' − P): the bias.</summary>
    public required double MeanError { get; init; }
    /// <summary>Mean absolute error (mean error distance), mean |P' − P|.</summary>
    public required double MeanAbsoluteError { get; init; }
    /// <summary>Normalized mean error distance: <see cref="MeanAbsoluteError"/> / max |P|.</summary>
    public required double Nmed { get; init; }
    /// <summary>Mean relative error distance, mean |P' − P| / |P| over P ≠ 0.</summary>
    public required double Mred { get; init; }
    /// <summary>Relative bias, mean (P' − P) / P over P ≠ 0: negative when the multiplier shrinks magnitudes, for products of either sign.</summary>
    public required double MeanRelativeError { get; init; }
    /// <summary>Largest |P' − P| / |P| over P ≠ 0.</summary>
    public required double MaxRelativeError { get; init; }
    /// <summary>Largest |P' − P| (worst-case error).</summary>
    public required long WorstCaseError { get; init; }
    /// <summary>Share of pairs with P' ≠ P.</summary>
    public required double ErrorProbability { get; init; }

    /// <summary>Operand widths up to this are enumerated exhaustively.</summary>
    public const int ExhaustiveBits = 8;

    /// <summary>Measures <paramref name="multiplier"/> over n-bit operands.</summary>
    /// <param name="multiplier">The multiplier; its <see cref="IApproximateMultiplier.Bits"/> must cover the domain.</param>
    /// <param name="bits">Operand width n (default: the multiplier's width).</param>
    /// <param name="domain">Signed (default) or unsigned operands.</param>
    /// <param name="samples">Pairs drawn when n &gt; <see cref="ExhaustiveBits"/>.</param>
    /// <param name="seed">Seed of the sample (same seed, same statistics).</param>
    /// <returns>The statistics.</returns>
    /// <exception cref="ArgumentOutOfRangeException">n is outside [2, multiplier.Bits], or samples is not positive.</exception>
    public static MultiplierErrorStats Compute(IApproximateMultiplier multiplier, int? bits = null,
        OperandDomain domain = OperandDomain.Signed, int samples = 1 << 20, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(multiplier);
        int n = bits ?? multiplier.Bits;
        if (n < 2 || n > multiplier.Bits || n > 30)
            throw new ArgumentOutOfRangeException(nameof(bits), n, $"MultiplierErrorStats: operand width {n}; use 2 to {Math.Min(multiplier.Bits, 30)} (the multiplier's Bits).");
        if (samples < 1)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, "MultiplierErrorStats: samples must be positive.");
        long lo = domain == OperandDomain.Signed ? -(1L << (n - 1)) : 0;
        long hi = domain == OperandDomain.Signed ? (1L << (n - 1)) - 1 : (1L << n) - 1;
        long maxProduct = Math.Max(lo * lo, hi * hi);

        var acc = new Accumulator();
        bool exhaustive = n <= ExhaustiveBits;
        if (exhaustive)
        {
            for (long a = lo; a <= hi; a++)
                for (long b = lo; b <= hi; b++)
                    acc.Add(a * b, multiplier.Multiply((int)a, (int)b));
        }
        else
        {
            var rng = new Random(seed);
            for (int i = 0; i < samples; i++)
            {
                long a = rng.NextInt64(lo, hi + 1), b = rng.NextInt64(lo, hi + 1);
                acc.Add(a * b, multiplier.Multiply((int)a, (int)b));
            }
        }
        return new MultiplierErrorStats
        {
            Multiplier = multiplier.Name, Bits = n, Domain = domain, Exhaustive = exhaustive, Pairs = acc.Pairs,
            MeanError = acc.SumError / acc.Pairs, MeanAbsoluteError = acc.SumAbsError / acc.Pairs,
            Nmed = acc.SumAbsError / acc.Pairs / maxProduct,
            Mred = acc.NonZero == 0 ? 0 : acc.SumRelAbs / acc.NonZero,
            MeanRelativeError = acc.NonZero == 0 ? 0 : acc.SumRel / acc.NonZero,
            MaxRelativeError = acc.MaxRel, WorstCaseError = acc.MaxAbs,
            ErrorProbability = (double)acc.Wrong / acc.Pairs,
        };
    }

    private sealed class Accumulator
    {
        public long Pairs, NonZero, Wrong, MaxAbs;
        public double SumError, SumAbsError, SumRel, SumRelAbs, MaxRel;

        public void Add(long exact, long approx)
        {
            long e = approx - exact, ae = Math.Abs(e);
            Pairs++;
            SumError += e; SumAbsError += ae;
            if (e != 0) Wrong++;
            if (ae > MaxAbs) MaxAbs = ae;
            if (exact == 0) return;
            NonZero++;
            double rel = (double)e / Math.Abs(exact);
            // Relative to the signed product: a sign-magnitude multiplier that shrinks magnitudes counts negative for
            // products of either sign (relative to |P| the two signs would cancel over a signed domain and hide the bias).
            SumRel += (double)e / exact; SumRelAbs += Math.Abs(rel);
            if (Math.Abs(rel) > MaxRel) MaxRel = Math.Abs(rel);
        }
    }
}
