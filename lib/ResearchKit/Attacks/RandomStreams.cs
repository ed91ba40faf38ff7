using ResearchKit.Tensors;

namespace ResearchKit.Attacks;

/// <summary>
/// One random stream per (seed, input index, purpose): results do not depend on how inputs are grouped into oracle
/// calls, and a run of t steps draws exactly what the first t steps of a longer run draw.
/// </summary>
internal static class RandomStreams
{
    /// <summary>A generator seeded by mixing the three values (SplitMix64 finalizer on each).</summary>
    public static Generator For(long seed, long index, long purpose) => new((long)Mix(Mix(Mix((ulong)seed) ^ (ulong)index) ^ (ulong)purpose));

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Fills <paramref name="signs"/> with independent ±1 (Rademacher), 64 per draw.</summary>
    public static void Rademacher(Generator g, Span<float> signs)
    {
        ulong bits = 0;
        for (int d = 0; d < signs.Length; d++)
        {
            if ((d & 63) == 0) bits = g.NextUInt64();
            signs[d] = ((bits >> (d & 63)) & 1) == 0 ? 1f : -1f;
        }
    }
}
