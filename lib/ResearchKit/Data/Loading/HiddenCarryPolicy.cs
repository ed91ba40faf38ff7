namespace ResearchKit.Data;

/// <summary>
/// The thesis' hidden-state carry policy for truncated BPTT: at each window, keep the previous window's final hidden
/// state with probability p (default 0.99), otherwise start from zeros. The decision for a step is a pure function of
/// (seed, step) (<see cref="SeedMix"/>), so a resumed run makes the same decisions.
/// </summary>
public sealed class HiddenCarryPolicy
{
    /// <summary>A policy keeping the state with probability <paramref name="keepProbability"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The probability is outside [0, 1].</exception>
    public HiddenCarryPolicy(double keepProbability = 0.99, long seed = 0)
    {
        if (!(keepProbability >= 0 && keepProbability <= 1))
            throw new ArgumentOutOfRangeException(nameof(keepProbability), keepProbability, "HiddenCarryPolicy: keepProbability must be in [0, 1].");
        KeepProbability = keepProbability; Seed = seed;
    }

    /// <summary>Probability p of keeping the previous final state.</summary>
    public double KeepProbability { get; }
    /// <summary>Seed of the decisions.</summary>
    public long Seed { get; }

    /// <summary>
    /// True to carry the previous final hidden state into <paramref name="step"/>, false to reset it to zeros
    /// (the caller still starts from zeros when there is no previous state, e.g. at step 0).
    /// </summary>
    public bool Keep(long step) => SeedMix.Uniform(SeedMix.Mix(Seed, SeedMix.CarryStream, step, 0)) < KeepProbability;

    /// <inheritdoc/>
    public override string ToString() => $"HiddenCarryPolicy(p={KeepProbability}, seed={Seed})";
}
