namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Thread count used by every multi-threaded kernel. Work is split into a fixed number of
/// chunks derived from this value (never from scheduling), so results are reproducible for a given thread count.
/// </summary>
public static class Parallelism
{
    private static int _threads = Environment.ProcessorCount;

    // Set while a thread runs a parallel body: nested loops (a GEMM inside a per-image conv chunk) then run inline
    // instead of oversubscribing the cores, which measured up to 1.6x slower on 2 cores.
    [ThreadStatic] internal static bool _inParallel;

    /// <summary>Number of worker threads kernels may use (default: processor count). Like <c>torch.set_num_threads</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Value is less than 1.</exception>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "Parallelism.Threads must be at least 1.");
            _threads = value;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> for chunk indices <c>0..chunks-1</c> on up to <see cref="Threads"/> threads.
    /// Runs inline when there is one chunk or one thread, or when called from inside another parallel body,
    /// so small problems pay no scheduling cost and nested loops do not oversubscribe the cores.
    /// </summary>
    public static void For(int chunks, Action<int> body)
    {
        if (chunks <= 0) return;
        if (chunks == 1 || _threads == 1 || _inParallel)
        {
            for (int i = 0; i < chunks; i++) body(i);
            return;
        }
        if (!WorkerPool.TryRun(chunks, Math.Min(_threads, chunks), body))
            for (int i = 0; i < chunks; i++) body(i);
    }

    /// <summary>True on a thread that is running a <see cref="For"/> body (nested loops run inline there).</summary>
    public static bool InParallelRegion => _inParallel;

    /// <summary>
    /// Splits <c>[0, n)</c> into at most <see cref="Threads"/> contiguous ranges of at least <paramref name="minPerChunk"/>
    /// elements and runs <paramref name="body"/>(start, length) on each: for memory-bound elementwise kernels.
    /// </summary>
    public static void ForRanges(int n, int minPerChunk, Action<int, int> body)
    {
        int chunks = Math.Min(_threads, Math.Max(1, n / Math.Max(minPerChunk, 1)));
        if (chunks <= 1 || _inParallel) { body(0, n); return; }
        // Chunk boundaries on 64-element multiples keep every chunk's SIMD loop aligned the same way.
        int per = ((n + chunks - 1) / chunks + 63) & ~63;
        For(chunks, c =>
        {
            int start = c * per;
            int len = Math.Min(per, n - start);
            if (len > 0) body(start, len);
        });
    }
}
