namespace ResearchKit.Tensors.Kernels;

/// <summary>A sort key with the position it came from (ties are broken by position, which makes every sort stable).</summary>
internal struct KeyIndex<T>
{
    public T Key;
    public int Index;
}

/// <summary>Ascending float order with NaN largest (PyTorch's order), ties by position.</summary>
internal readonly struct FloatAscending : IComparer<KeyIndex<float>>
{
    public int Compare(KeyIndex<float> a, KeyIndex<float> b)
    {
        int c = SortKernels.CompareNaNLast(a.Key, b.Key);
        return c != 0 ? c : a.Index.CompareTo(b.Index);
    }
}

/// <summary>Descending float order with NaN first, ties by position.</summary>
internal readonly struct FloatDescending : IComparer<KeyIndex<float>>
{
    public int Compare(KeyIndex<float> a, KeyIndex<float> b)
    {
        int c = SortKernels.CompareNaNLast(b.Key, a.Key);
        return c != 0 ? c : a.Index.CompareTo(b.Index);
    }
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
/// depend on the thread count. Lines are split into a fixed number of chunks from the problem size and thread count.
/// </summary>
internal static class SortKernels
{
    /// <summary>Pick mode: write the first <c>take</c> sorted entries of each line.</summary>
    public const int PickPrefix = -1;

    /// <summary>Pick mode: the lower median, or the first NaN when the line has one (torch.median).</summary>
    public const int PickMedian = -2;

    /// <summary>Three-way compare with NaN greater than every number and equal to NaN.</summary>
    public static int CompareNaNLast(float x, float y)
    {
        if (x < y) return -1;
        if (x > y) return 1;
        bool xn = float.IsNaN(x), yn = float.IsNaN(y);
        if (xn == yn) return 0;
        return xn ? 1 : -1;
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
                    int p = pick >= 0 ? pick : MedianPosition(buf);
                    vals[line] = buf[p].Key; idx[line] = buf[p].Index;
                }
            }
        });
    }

    private static int MedianPosition<T>(KeyIndex<T>[] sorted)
    {
        // NaN sorts last, so a NaN anywhere means the last entry is NaN; PyTorch then returns the first NaN.
        if (sorted[^1].Key is float last && float.IsNaN(last))
            for (int j = 0; j < sorted.Length; j++)
                if (sorted[j].Key is float v && float.IsNaN(v)) return j;
        return (sorted.Length - 1) / 2;
    }
}
