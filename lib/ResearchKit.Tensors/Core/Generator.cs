namespace ResearchKit.Tensors;

/// <summary>
/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64), like <c>torch.Generator</c>.
/// The same seed always produces the same stream on every machine; its state can be saved and restored for resumable runs.
/// </summary>
/// <remarks>Streams are reproducible within ResearchKit; they are not bit-compatible with PyTorch's generator.</remarks>
public sealed class Generator
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>Creates a generator seeded with <paramref name="seed"/>.</summary>
    public Generator(long seed = 0) { ManualSeed(seed); }

    /// <summary>The process-wide generator used when none is passed (seed it with <see cref="Torch.ManualSeed"/>).</summary>
    public static Generator Default { get; } = new(0);

    /// <summary>The seed last given to <see cref="ManualSeed"/>.</summary>
    public long InitialSeed { get; private set; }

    /// <summary>Re-seeds the stream (<c>generator.manual_seed(seed)</c>).</summary>
    public Generator ManualSeed(long seed)
    {
        InitialSeed = seed;
        ulong x = (ulong)seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        _spareNormal = null;
        return this;
    }

    /// <summary>Snapshot of the internal state (for checkpoints).</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3, _spareNormal is { } d ? 1UL : 0UL, _spareNormal is { } e ? (ulong)BitConverter.DoubleToInt64Bits(e) : 0UL];

    /// <summary>Restores a snapshot from <see cref="GetState"/>.</summary>
    /// <exception cref="ArgumentException">The snapshot does not have 6 words.</exception>
    public void SetState(ulong[] state)
    {
        if (state.Length != 6) throw new ArgumentException($"Generator.SetState: expected 6 state words, got {state.Length}.");
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        _spareNormal = state[4] != 0 ? BitConverter.Int64BitsToDouble((long)state[5]) : null;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next raw 64-bit value.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal sample (Box–Muller, the spare value is cached).</summary>
    public double NextNormal()
    {
        if (_spareNormal is { } s) { _spareNormal = null; return s; }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Uniform integer in [<paramref name="low"/>, <paramref name="high"/>) without modulo bias.</summary>
    /// <exception cref="ArgumentException"><paramref name="high"/> ≤ <paramref name="low"/>.</exception>
    public long NextInt64(long low, long high)
    {
        if (high <= low) throw new ArgumentException($"Generator.NextInt64: high ({high}) must be greater than low ({low}).");
        ulong range = (ulong)(high - low);
        ulong limit = ulong.MaxValue - ulong.MaxValue % range;
        ulong v;
        do v = NextUInt64(); while (v >= limit);
        return low + (long)(v % range);
    }
}
