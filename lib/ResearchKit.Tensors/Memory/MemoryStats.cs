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
/// <see cref="CachingAllocator.FullCollectAfterDroppedBytes"/> of cached arrays (shapes that keep changing); 0 in a steady loop.</param>
/// <param name="Uncached">Arrays lent as plain garbage-collected arrays, or taken back without caching, because the sizes asked for were not recurring.</param>
/// <param name="Caching">Whether the pool caches now: it stops while the sizes asked for keep changing (fewer than half
/// the bytes of a look's requests are of sizes asked for in that look or the one before, twice in a row) and resumes as soon
/// as they repeat again.</param>
public readonly record struct MemoryStats(
    long Hits, long Misses, long Reclaimed, long Escaped, long Trimmed, long InducedCollections,
    int OutstandingLoans, long LentBytes, long CachedBytes, long FullCollections = 0, long Uncached = 0, bool Caching = true);
