namespace ResearchKit.Data;

/// <summary>
/// Derives independent random streams from a run seed and coordinates such as (stream, epoch, sample index), so a
/// sample's augmentation, an epoch's shuffle or a step's carry decision never depend on thread scheduling or on
/// which batches were produced before (exact resume).
/// </summary>
/// <remarks>
/// Each coordinate is first passed through the SplitMix64 finalizer and then folded into the running hash with
/// another finalizer round, so nearby triples (epoch 3, index 7) and (epoch 7, index 3) give unrelated seeds.
/// </remarks>
public static class SeedMix
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>Stream tag of the per-epoch shuffle permutation.</summary>
    public const long ShuffleStream = 1;
    /// <summary>Stream tag of per-sample augmentation.</summary>
    public const long AugmentStream = 2;
    /// <summary>Stream tag of the hidden-state carry policy.</summary>
    public const long CarryStream = 3;

    /// <summary>A 64-bit seed for the coordinates (<paramref name="a"/>, <paramref name="b"/>) of <paramref name="stream"/> under <paramref name="seed"/>.</summary>
    public static ulong Mix(long seed, long stream, long a, long b)
    {
        ulong h = Finalize((ulong)seed + Gamma);
        h = Finalize(h + Gamma + Finalize((ulong)stream + Gamma));
        h = Finalize(h + Gamma + Finalize((ulong)a + Gamma));
        return Finalize(h + Gamma + Finalize((ulong)b + Gamma));
    }

    /// <summary>The seed of sample <paramref name="index"/>'s augmentation in <paramref name="epoch"/>.</summary>
    public static ulong Sample(long seed, long epoch, long index) => Mix(seed, AugmentStream, epoch, index);

    /// <summary>A uniform double in [0, 1) from a mixed seed (53 high bits).</summary>
    public static double Uniform(ulong mixed) => (mixed >> 11) * (1.0 / (1UL << 53));

    // SplitMix64's output function (Steele, Lea, Flood 2014).
    private static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
