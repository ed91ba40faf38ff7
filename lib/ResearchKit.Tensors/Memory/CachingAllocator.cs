namespace ResearchKit.Tensors;

/// <summary>
/// Settings and counters of the caching allocator that lends large tensor storage and takes it back when no tensor
/// uses it any more, so a steady training or inference loop triggers no full (gen-2) garbage collection whatever the
/// host's GC settings (PyTorch's caching allocator, on the CPU).
/// </summary>
/// <remarks>
/// <para>Storage of at least <see cref="MinElements"/> Float32 elements is pooled per thread, by exact size. Arrays
/// come back at safe points: the end of the outermost <see cref="Tensor.Backward"/> or <see cref="Autograd.Grad(Tensor[], Tensor[], Tensor[], bool, bool, bool?)"/>,
/// of <c>Optimizer.Step</c>, and of an outermost module <c>Forward</c> run under <see cref="Torch.NoGrad"/>. A loop that
/// uses none of those (plain functional ops) can call <see cref="Collect"/> once per iteration.</para>
/// <para>Nothing changes for code that keeps tensors: a tensor, its views and its saved copies keep their storage as
/// long as any of them is referenced. Storage exposed through <see cref="Tensor.AsSpan"/> or
/// <see cref="Tensor.AsReadOnlySpan"/>, or used from another thread than the one that created it, is never lent again
/// (the pool cannot see how long a span lives, or when another thread is done). The engine's own workers, running a
/// parallel loop for the thread that created the storage, do not count: that thread waits for the loop, and passes no
/// safe point inside it. Results do not depend on the allocator: every op writes its whole
/// output, which <see cref="DebugChecks"/> verifies by filling uninitialized storage with NaN.</para>
/// </remarks>
public static class CachingAllocator
{
    // Declared first: the caps below are initialized from it, in textual order.
    /// <summary>The memory this process may use (physical memory or the container's limit), as the GC sees it.</summary>
    public static long AvailableMemoryBytes { get; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes is > 0 and var b ? b : 16L << 30;

    /// <summary>Whether large storage is pooled (default true; <c>RESEARCHKIT_CACHING_ALLOCATOR=0</c> turns it off at start).</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("RESEARCHKIT_CACHING_ALLOCATOR") != "0";

    /// <summary>
    /// Smallest storage, in elements, that is pooled (default 1,024 = 4 KiB). From 85,000 bytes on, .NET puts arrays on
    /// the large object heap, which only full collections sweep; smaller arrays are pooled too because a step that leaves
    /// many of them to the young heap (fake quantization's per-layer weight tensors: 6 MiB per ResNet-20 step) fills it
    /// mid-step, and each such collection promotes the step's live storage towards generation 2, where its arrays wait
    /// for a full collection. Measured on the W2/A2 ResNet-20 step: 16 MiB allocated and 0.10 full collections per step
    /// at 16,384 elements, 1 MiB and none at 1,024.
    /// </summary>
    public static int MinElements { get; set; } = 1_024;

    /// <summary>Bytes lent since the last look after which the end of a step runs a young-generation collection (default 32 MiB).</summary>
    public static long CollectThresholdBytes { get; set; } = 32L << 20;

    /// <summary>
    /// Most bytes one thread lends between two looks at its loans (default 4 GiB, at most a sixteenth of the memory the
    /// process may use): a loan keeps its array until a safe point sees its tensors gone, so a thread that stops reaching
    /// safe points holds at most this much; beyond it, storage is allocated unpooled until the next look.
    /// </summary>
    public static long MaxUnscannedBytes { get; set; } = Math.Min(4L << 30, AvailableMemoryBytes / 16);

    /// <summary>
    /// Most bytes one thread keeps cached for reuse; beyond it the oldest arrays go back to the garbage collector (default
    /// 16 GiB, at most a sixteenth of the memory the process may use). The cache is keyed by exact size, so a workload
    /// whose shapes keep changing (e.g. an ensemble that splits each batch by route) fills it up to this cap: with a fixed
    /// 16 GiB cap, SPSA on the Ensemble Hash Defense drove a 23 GB machine out of memory.
    /// </summary>
    public static long MaxCachedBytes { get; set; } = Math.Min(16L << 30, AvailableMemoryBytes / 16);


    /// <summary>
    /// Bytes of cached arrays released to the garbage collector because the cache overflowed its cap, after which the allocator runs a full collection at its next look (default 1/64 of the memory the process
    /// may use, at most 1 GiB; sizes that a finished phase used and <see cref="EmptyCache"/> do not count). Released arrays live
    /// on the large object heap, which only full collections sweep, and the arrays the cache keeps make the runtime space
    /// those collections further apart: with shapes that change on every call (SPSA on the Ensemble Hash Defense) the
    /// garbage otherwise grew to several times the cache. A steady loop releases nothing and never pays this collection.
    /// </summary>
    public static long FullCollectAfterDroppedBytes { get; set; } = Math.Min(1L << 30, AvailableMemoryBytes / 64);

    /// <summary>
    /// Whether only sizes that recur are pooled (default true): a size is lent from the pool once it was also asked for
    /// before the previous look (a steady loop's sizes from its second step on); other sizes are plain arrays, as without
    /// the allocator (an ensemble that splits every batch by route asks for new sizes on every call). False pools every
    /// size from the first safe point on (the test suites do, so that storage is recycled between the ops of every test).
    /// </summary>
    public static bool AdaptiveCaching { get; set; } = true;

    /// <summary>A cached array not reused for this many looks is released (shapes that stopped occurring; default 16).</summary>
    public static int StaleScans { get; set; } = 16;

    /// <summary>
    /// Test aid (off by default; the test suites turn it on): fills storage that ops promise to overwrite with NaN,
    /// so an op that reads memory it did not write shows NaN instead of a stale value, and throws if engine code wraps a
    /// lent array in a tensor without sharing its storage.
    /// </summary>
    public static bool DebugChecks { get; set; }

    /// <summary>
    /// A safe point for loops that use no module, backward or optimizer: takes back the storage of tensors that are no
    /// longer referenced, collecting the young generation first when enough was lent since the last look. Does nothing
    /// when called from inside an op (a hook or a custom function).
    /// </summary>
    public static void Collect() => Memory.StoragePool.SafePoint(endOfStep: true);

    /// <summary>Releases the storage this thread keeps cached (<c>torch.cuda.empty_cache()</c>) and forgets which sizes
    /// recurred, as a new pool; tensors in use are unaffected.</summary>
    public static void EmptyCache() => Memory.StoragePool.Current?.EmptyCache();

    /// <summary>The calling thread's allocator counters (all zero before its first safe point).</summary>
    public static MemoryStats Stats() => Memory.StoragePool.Current?.Stats() ?? default;
}
