namespace ResearchKit.Tensors;

/// <summary>Counters of one thread's caching allocator (<see cref="CachingAllocator.Stats"/>), cumulative since the thread's first safe point.</summary>
/// <param name="Hits">Loans served from the cache.</param>
/// <param name="Misses">Loans that allocated a new array.</param>
/// <param name="Reclaimed">Arrays taken back after their last tensor went away.</param>
/// <param name="Escaped">Arrays not taken back because they were exposed as a span or used from another thread.</param>
/// <param name="Trimmed">Cached arrays released (stale sizes, the cache cap, <see cref="CachingAllocator.EmptyCache"/>).</param>
/// <param name="InducedCollections">Young-generation collections the allocator ran at the end of a step.</param>
/// <param name="OutstandingLoans">Arrays lent and not yet taken back.</param>
/// <param name="LentBytes">Bytes of those arrays.</param>
/// <param name="CachedBytes">Bytes cached for reuse.</param>
/// <param name="FullCollections">Full collections the allocator ran because it had released
/// <see cref="CachingAllocator.FullCollectAfterDroppedBytes"/> of cached arrays (shapes that keep changing), or because a
/// background full collection was still running at the end of a step (while a loop warms up); 0 in a steady loop.</param>
/// <param name="Uncached">Plain garbage-collected arrays handed out because their size was not asked for at the previous
/// look (<see cref="CachingAllocator.AdaptiveCaching"/>): sizes that do not recur are not pooled.</param>
public readonly record struct MemoryStats(
    long Hits, long Misses, long Reclaimed, long Escaped, long Trimmed, long InducedCollections,
    int OutstandingLoans, long LentBytes, long CachedBytes, long FullCollections = 0, long Uncached = 0);
