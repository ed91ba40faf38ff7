namespace ResearchKit.Tensors.Kernels;

/// <summary>A sort key with the position it came from (ties are broken by position, which makes every sort stable).</summary>
internal struct KeyIndex<T>
{
    public T Key;
    public int Index;
}

/// <summary>Ascending Int64 order, ties by position.</summary>
internal readonly struct LongAscending : IComparer<KeyIndex<long>>
{
    public int Compare(KeyIndex<long> a, KeyIndex<long> b)
    {
        int c = a.Key.CompareTo(b.Key);
        return c != 0 ? c : a.Index.CompareTo(b.Index);
    }
}

/// <summary>Descending Int64 order, ties by position.</summary>
internal readonly struct LongDescending : IComparer<KeyIndex<long>>
{
    public int Compare(KeyIndex<long> a, KeyIndex<long> b)
    {
        int c = b.Key.CompareTo(a.Key);
        return c != 0 ? c : a.Index.CompareTo(b.Index);
    }
}

/// <summary>
/// Sorts every line of a contiguous tensor seen as <c>(outer, size, inner)</c> along the middle dimension.
/// Because ties compare by original position, the (unstable) introsort yields the unique stable order, so results do not
/// depend on the thread count. Float32 uses packed integer keys (<see cref="SortLinesFloat"/>); Int64 a struct comparer. Lines are split into a fixed number of chunks from the problem size and thread count.
/// </summary>
internal static class SortKernels
{
    /// <summary>Pick mode: write the first <c>take</c> sorted entries of each line.</summary>
    public const int PickPrefix = -1;

    /// <summary>Pick mode: the lower median, or the first NaN when the line has one (torch.median).</summary>
    public const int PickMedian = -2;

    /// <summary>
    /// Maps a float to an unsigned key whose integer order is PyTorch's sort order: −0 and +0 are equal, every NaN is
    /// larger than +∞ and equal to every other NaN.
    /// </summary>
    public static uint OrderedKey(float v)
    {
        if (float.IsNaN(v)) return uint.MaxValue;
        if (v == 0f) v = 0f; // folds −0 into +0
        uint b = BitConverter.SingleToUInt32Bits(v);
        return (b & 0x8000_0000u) != 0 ? ~b : b | 0x8000_0000u;
    }

    /// <summary>
    /// Float32 fast path of <see cref="SortLines{T, TCmp}"/>: each entry is packed as <c>(orderedKey &lt;&lt; 32) | position</c>
    /// and the ulongs are sorted natively; the position in the low bits makes the order stable. Descending order flips the
    /// key bits only, so ties still keep ascending positions.
    /// </summary>
    public static void SortLinesFloat(float[] src, int outer, int size, int inner, bool descending, int take, int pick, float[] vals, long[] idx)
    {
        int lines = outer * inner;
        if (lines == 0 || size == 0) return;
        long work = (long)lines * size;
        int chunks = work < 1 << 15 ? 1 : Math.Min(Parallelism.Threads, lines);
        uint flip = descending ? uint.MaxValue : 0u;
        bool partial = pick == PickPrefix && take > 0 && take <= 64 && take * 8 <= size;
        Parallelism.For(chunks, c =>
        {
            int lo = (int)((long)lines * c / chunks), hi = (int)((long)lines * (c + 1) / chunks);
            var buf = new ulong[size];
            for (int line = lo; line < hi; line++)
            {
                int o = line / inner, i = line - o * inner;
                int baseIn = o * size * inner + i;
                if (partial)
                {
                    // Small top-k: keep the k smallest packed keys in an insertion-sorted prefix; one compare per element
                    // in the common case. Packed keys are unique, so this equals the prefix of the full sort.
                    int n = 0;
                    for (int j = 0; j < size; j++)
                    {
                        ulong key = ((ulong)(OrderedKey(src[baseIn + j * inner]) ^ flip) << 32) | (uint)j;
                        if (n == take && key >= buf[take - 1]) continue;
                        int at = n == take ? take - 1 : n++;
                        while (at > 0 && buf[at - 1] > key) { buf[at] = buf[at - 1]; at--; }
                        buf[at] = key;
                    }
                }
                else
                {
                    for (int j = 0; j < size; j++) buf[j] = ((ulong)(OrderedKey(src[baseIn + j * inner]) ^ flip) << 32) | (uint)j;
                    buf.AsSpan().Sort();
                }
                if (pick == PickPrefix)
                {
                    int baseOut = o * take * inner + i;
                    for (int j = 0; j < take; j++)
                    {
                        int from = (int)(uint)buf[j];
                        vals[baseOut + j * inner] = src[baseIn + from * inner]; idx[baseOut + j * inner] = from;
                    }
                }
                else
                {
                    int p = pick;
                    if (pick < 0)
                    {
                        // Median: NaN sorts last (ascending only), so the first NaN in sorted order is the first NaN by position.
                        p = (size - 1) / 2;
                        if ((uint)(buf[size - 1] >> 32) == uint.MaxValue)
                            for (int j = 0; j < size; j++) if ((uint)(buf[j] >> 32) == uint.MaxValue) { p = j; break; }
                    }
                    int from = (int)(uint)buf[p];
                    vals[line] = src[baseIn + from * inner]; idx[line] = from;
                }
            }
        });
    }

    /// <summary>
    /// Sorts each line of <paramref name="src"/>. With <paramref name="pick"/> = <see cref="PickPrefix"/> writes sorted
    /// positions <c>0..take-1</c> into <c>(outer, take, inner)</c> outputs; with a position ≥ 0 or <see cref="PickMedian"/>
    /// writes one entry per line into <c>(outer, inner)</c> outputs.
    /// </summary>
    public static void SortLines<T, TCmp>(T[] src, int outer, int size, int inner, int take, int pick, T[] vals, long[] idx)
        where TCmp : struct, IComparer<KeyIndex<T>>
    {
        int lines = outer * inner;
        if (lines == 0 || size == 0) return;
        long work = (long)lines * size;
        int chunks = work < 1 << 15 ? 1 : Math.Min(Parallelism.Threads, lines);
        Parallelism.For(chunks, c =>
        {
            int lo = (int)((long)lines * c / chunks), hi = (int)((long)lines * (c + 1) / chunks);
            var buf = new KeyIndex<T>[size];
            var cmp = default(TCmp);
            for (int line = lo; line < hi; line++)
            {
                int o = line / inner, i = line - o * inner;
                int baseIn = o * size * inner + i;
                for (int j = 0; j < size; j++) { buf[j].Key = src[baseIn + j * inner]; buf[j].Index = j; }
                buf.AsSpan().Sort(cmp);
                if (pick == PickPrefix)
                {
                    int baseOut = o * take * inner + i;
                    for (int j = 0; j < take; j++) { vals[baseOut + j * inner] = buf[j].Key; idx[baseOut + j * inner] = buf[j].Index; }
                }
                else
                {
                    int p = pick >= 0 ? pick : (size - 1) / 2; // Int64 has no NaN
                    vals[line] = buf[p].Key; idx[line] = buf[p].Index;
                }
            }
        });
    }
}
