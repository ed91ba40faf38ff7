namespace ResearchKit.Quantization.AdaQat;

/// <summary>
/// AdaQAT's relaxed bit width (Gernigon et al. 2024, arXiv 2404.16876): a real-valued N that gradient descent updates, and
/// the integer bit width ⌈N⌉ that every quantization operation uses.
/// </summary>
/// <remarks>
/// <para>Discretization: ⌈N⌉, clamped to [<see cref="MinBits"/>, <see cref="MaxBits"/>] (the authors' public code takes the
/// ceiling; see FACTS-adaqat.md). The update keeps N in [<see cref="MinBits"/> − 0.5, <see cref="MaxBits"/>]: the lower bound
/// mirrors the code's reset of N to just above 1.5 when 2 bits is the floor, the upper one is a choice (the code has none but
/// counts bit widths only up to 8).</para>
/// <para>Freezing (from the authors' code, not confirmed in the paper): a bit width stops moving once its integer value has
/// risen from the same value more than <see cref="FreezeAfterIncreases"/> times (an oscillation between two widths), or,
/// with <see cref="FreezeAtMinimum"/>, once an update pushes it below the lower bound. An oscillation freezes at the width
/// <see cref="FreezeSide"/> names (the code's: the upper one). Frozen bit widths cost no extra forward
/// pass: training goes on as plain QAT for them.</para>
/// <para>Probing: the finite-difference gradient needs the loss one bit lower; <see cref="Probe"/> overrides the width that
/// quantizers read (<see cref="EffectiveBits"/>) for the duration of one evaluation.</para>
/// </remarks>
public sealed class LearnedBitWidth
{
    private readonly Dictionary<int, int> _increases = new();

    /// <summary>Creates a bit width at <paramref name="initial"/>.</summary>
    /// <param name="name">Name in trajectories, e.g. <c>weights</c> or <c>layer1.0.conv1.weight</c>.</param>
    /// <param name="initial">Initial relaxed value N, clamped into [minBits − 0.5, maxBits].</param>
    /// <param name="minBits">Smallest integer width, at least 2 (the finite difference evaluates ⌈N⌉ − 1 bits).</param>
    /// <param name="maxBits">Largest integer width, at most 16 (the kit's quantizers accept [1, 16]).</param>
    /// <param name="freezeAfterIncreases">Freeze after more than this many rises from one integer width (authors' code: 10); null never freezes.</param>
    /// <param name="freezeAtMinimum">Freeze when an update goes below the lower bound (authors' code: yes).</param>
    /// <param name="freezeSide">Which width an oscillation freezes at (authors' code: <see cref="OscillationFreeze.AfterRise"/>).</param>
    /// <exception cref="ArgumentException">A bound is out of range, <paramref name="initial"/> is not finite, or the freeze count is negative.</exception>
    public LearnedBitWidth(string name, double initial, int minBits = 2, int maxBits = 8, int? freezeAfterIncreases = 10, bool freezeAtMinimum = true, OscillationFreeze freezeSide = OscillationFreeze.AfterRise)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (minBits < 2 || maxBits > 16 || minBits > maxBits)
            throw new ArgumentException($"LearnedBitWidth '{name}': need 2 ≤ minBits ≤ maxBits ≤ 16, got [{minBits}, {maxBits}]; the finite difference evaluates ⌈N⌉ − 1 bits, so minBits must be at least 2.");
        if (!double.IsFinite(initial)) throw new ArgumentException($"LearnedBitWidth '{name}': the initial value must be finite, got {initial}.", nameof(initial));
        if (freezeAfterIncreases is < 0) throw new ArgumentException($"LearnedBitWidth '{name}': freezeAfterIncreases must be ≥ 0 or null, got {freezeAfterIncreases}.", nameof(freezeAfterIncreases));
        if (!Enum.IsDefined(freezeSide)) throw new ArgumentException($"LearnedBitWidth '{name}': unknown freeze side {freezeSide}; use AfterRise or AtBoundary.", nameof(freezeSide));
        Name = name; MinBits = minBits; MaxBits = maxBits;
        FreezeAfterIncreases = freezeAfterIncreases; FreezeAtMinimum = freezeAtMinimum; FreezeSide = freezeSide;
        Value = Math.Clamp(initial, LowerBound, maxBits);
    }

    /// <summary>Name in trajectories and reports.</summary>
    public string Name { get; internal set; }

    /// <summary>The relaxed real-valued bit width N.</summary>
    public double Value { get; private set; }

    /// <summary>Smallest integer width.</summary>
    public int MinBits { get; }

    /// <summary>Largest integer width.</summary>
    public int MaxBits { get; }

    /// <summary>Smallest relaxed value the update keeps: <see cref="MinBits"/> − 0.5.</summary>
    public double LowerBound => MinBits - 0.5;

    /// <summary>Freeze after more than this many rises from one integer width; null: never.</summary>
    public int? FreezeAfterIncreases { get; }

    /// <summary>Whether an update below <see cref="LowerBound"/> freezes the width.</summary>
    public bool FreezeAtMinimum { get; }

    /// <summary>Which width an oscillation freezes at (see <see cref="OscillationFreeze"/>).</summary>
    public OscillationFreeze FreezeSide { get; }

    /// <summary>Whether the width has stopped moving (see the remarks).</summary>
    public bool Frozen { get; private set; }

    /// <summary>The integer width ⌈N⌉ clamped to [<see cref="MinBits"/>, <see cref="MaxBits"/>].</summary>
    public int Bits => Discretize(Value, MinBits, MaxBits);

    /// <summary>The width of a running <see cref="Probe"/>, or null.</summary>
    public int? ProbeBits { get; private set; }

    /// <summary>The width quantizers use now: <see cref="ProbeBits"/> during a probe, otherwise <see cref="Bits"/>.</summary>
    public int EffectiveBits => ProbeBits ?? Bits;

    /// <summary>How many times the integer width rose from each value (the freeze rule's counters).</summary>
    public IReadOnlyDictionary<int, int> Increases => _increases;

    /// <summary>AdaQAT's discretization: ⌈<paramref name="n"/>⌉ clamped to [<paramref name="minBits"/>, <paramref name="maxBits"/>].</summary>
    /// <param name="n">A relaxed bit width.</param>
    /// <param name="minBits">Smallest width.</param>
    /// <param name="maxBits">Largest width.</param>
    /// <exception cref="ArgumentException"><paramref name="n"/> is not finite or the bounds are reversed.</exception>
    public static int Discretize(double n, int minBits, int maxBits)
    {
        if (!double.IsFinite(n)) throw new ArgumentException($"LearnedBitWidth.Discretize: the relaxed bit width must be finite, got {n}.", nameof(n));
        if (minBits > maxBits) throw new ArgumentException($"LearnedBitWidth.Discretize: minBits ({minBits}) > maxBits ({maxBits}).");
        return (int)Math.Clamp(Math.Ceiling(n), minBits, maxBits);
    }

    /// <summary>Makes quantizers read <paramref name="bits"/> until the returned scope is disposed (one finite-difference evaluation).</summary>
    /// <param name="bits">Width to evaluate, in [1, 16].</param>
    /// <exception cref="ArgumentException"><paramref name="bits"/> is outside [1, 16].</exception>
    /// <exception cref="InvalidOperationException">A probe is already running on this width.</exception>
    public IDisposable Probe(int bits)
    {
        if (bits < 1 || bits > 16) throw new ArgumentException($"LearnedBitWidth '{Name}': a probe needs a width in [1, 16], got {bits}.", nameof(bits));
        if (ProbeBits is not null) throw new InvalidOperationException($"LearnedBitWidth '{Name}': a probe at {ProbeBits} bits is still running; dispose it first.");
        ProbeBits = bits;
        return new ProbeScope(this);
    }

    /// <summary>One gradient-descent step N ← N − lr·g, clamped (see the remarks); a frozen width does not move.</summary>
    /// <param name="gradient">The bit-width gradient estimate (task-loss difference plus the cost term's gradient).</param>
    /// <param name="learningRate">The bit-width learning rate (authors' code: 0.1).</param>
    /// <returns>The integer width after the step.</returns>
    /// <exception cref="ArgumentException">The gradient or learning rate is not finite, or the learning rate is negative.</exception>
    public int Update(double gradient, double learningRate)
    {
        if (!double.IsFinite(gradient)) throw new ArgumentException($"LearnedBitWidth '{Name}': the gradient is {gradient}; check the loss for NaN/∞.", nameof(gradient));
        if (!(learningRate >= 0) || !double.IsFinite(learningRate)) throw new ArgumentException($"LearnedBitWidth '{Name}': the learning rate must be finite and ≥ 0, got {learningRate}.", nameof(learningRate));
        if (Frozen) return Bits;
        int before = Bits;
        double next = Value - learningRate * gradient;
        if (next < LowerBound && FreezeAtMinimum) Frozen = true;
        Value = Math.Clamp(next, LowerBound, MaxBits);
        int after = Bits;
        if (after > before)
        {
            int count = _increases.GetValueOrDefault(before) + 1;
            _increases[before] = count;
            if (FreezeAfterIncreases is int limit && count > limit)
            {
                Frozen = true;
                // The boundary the width oscillates around: ⌈before⌉ = before bits.
                if (FreezeSide == OscillationFreeze.AtBoundary) Value = before;
            }
        }
        return Bits;
    }

    /// <summary>Puts back a state captured from a width of the same settings (<see cref="AdaQatState"/>: resuming a checkpoint).</summary>
    /// <exception cref="ArgumentException">The value is not finite or outside [<see cref="LowerBound"/>, <see cref="MaxBits"/>], or a counter is negative.</exception>
    internal void RestoreState(double value, bool frozen, IReadOnlyDictionary<int, int> increases)
    {
        if (!double.IsFinite(value) || value < LowerBound || value > MaxBits)
            throw new ArgumentException($"LearnedBitWidth '{Name}': a restored value must lie in [{LowerBound}, {MaxBits}], got {value}; the checkpoint was written with other bit-width bounds.");
        if (increases.Values.Any(c => c < 0)) throw new ArgumentException($"LearnedBitWidth '{Name}': a restored rise counter is negative.");
        Value = value; Frozen = frozen;
        _increases.Clear();
        foreach (var (bits, count) in increases) _increases[bits] = count;
    }

    /// <summary>Stops the width from moving (e.g. after a search phase, for plain QAT at the found width).</summary>
    public void Freeze() => Frozen = true;

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: N={Value:G6} → {Bits} bits{(Frozen ? " (frozen)" : "")}";

    private sealed class ProbeScope(LearnedBitWidth owner) : IDisposable
    {
        private LearnedBitWidth? _owner = owner;

        public void Dispose()
        {
            if (_owner is null) return;
            _owner.ProbeBits = null;
            _owner = null;
        }
    }
}
