using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ResearchKit.Tensors.Memory;

/// <summary>
/// One thread's caching allocator: exact-size free lists of large Float32 storage arrays, lent to new tensors and
/// taken back once no tensor references them, so a steady training or inference loop stops allocating on the large
/// object heap (whose growth is what triggers full, gen-2, collections).
/// </summary>
/// <remarks>
/// <para><b>How an array comes back.</b> A loan is a weak handle on the <see cref="StorageVersion"/> that every tensor
/// over the array shares, and a strong one on the array. The pool only looks at its loans at a <i>safe point</i>
/// (<see cref="SafePoint"/>): the end of the outermost backward, of an optimizer step, of an outermost module forward
/// under no-grad, or <see cref="CachingAllocator.Collect"/>. There, after a collection has run, a loan whose storage
/// handle is cleared has no tensor left, and its array goes back to its free list. The array itself is never left
/// to the garbage collector while lent: a full collection would otherwise free it first, and allocating it again is
/// what triggers the next full collection. What a thread can hold that way is capped by
/// <see cref="CachingAllocator.MaxUnscannedBytes"/> (beyond it, loans are plain arrays until the next look).</para>
/// <para><b>Why it is safe.</b> The storage object dies only when no tensor over the array is reachable, but engine
/// code may still hold the raw array of a tensor the JIT considers dead, inside an op. So arrays are taken back only
/// at safe points, which run on the borrowing thread outside every op (a depth counter skips nested ones), only for
/// arrays never exposed as a public span, and only for arrays never touched from another thread (both
/// <see cref="StorageVersion.Escape"/>). Backward rules and kernels that keep an array beyond their op keep a tensor
/// over it, never the bare array. With <see cref="CachingAllocator.DebugChecks"/> on (the test suites), wrapping a
/// lent array in a tensor without its storage throws, and uninitialized storage is filled with NaN.</para>
/// <para>A pool belongs to one thread and is created at that thread's first safe point; threads that never reach one
/// (data loaders) allocate as before. When its thread exits, the pool lets go of everything (tensors it lent keep
/// their arrays, as plain garbage-collected ones).</para>
/// </remarks>
internal sealed class StoragePool
{
    [ThreadStatic] private static StoragePool? t_pool;
    [ThreadStatic] private static int t_depth;
    [ThreadStatic] private static ThreadExit? t_exit;

    // Arrays lent while DebugChecks is on, to catch a tensor built over one without its storage.
    private static readonly ConditionalWeakTable<float[], object> s_lent = new();
    private static readonly object s_lentMark = new();

    private readonly record struct Loan(GCHandle Storage, GCHandle Array, long Id);
    private readonly record struct Cached(float[] Array, long Scan);

    private readonly List<Loan> _loans = [];
    private readonly Dictionary<int, List<Cached>> _free = [];
    private readonly HashSet<long> _escaped = [];
    private long _nextId, _scans, _bytesSinceScan, _bytesSinceInduced, _cachedBytes, _droppedSinceFull;
    private int _lastCollection = -1;
    private long _hits, _misses, _reclaimed, _escapedCount, _induced, _trimmed, _fullCollections, _uncached;

    // Per size, whether it recurs across looks (a window ends at each look, and arrays come back only there): the window of its
    // latest request, and whether that window's first request found it in one of the RecurWindows before. Only recurring sizes are lent and cached (adaptive caching); the
    // others are plain arrays, as without the allocator: caching sizes that never recur only keeps dead arrays alive.
    private readonly Dictionary<int, (long Window, bool Repeat)> _lastRequest = [];
    // Sizes served from the cache at least once. A size that recurred by chance (asked for in two consecutive windows, then
    // never again) is lent and cached but never hit; its arrays go after UnprovenScans looks instead of StaleScans.
    private readonly HashSet<int> _hitSizes = [];
    // A size recurs when asked for again within this many windows, not only in the next one: two models or phases that
    // alternate step by step (a float and a quantized model evaluated in turn, a transfer attack's source and target) each
    // ask for their sizes every other window, and with a one-window rule neither would ever be pooled.
    private const int RecurWindows = 3;
    private const int UnprovenScans = 2;
    private const int YoungScans = 4;
    private bool _retired;   // the owner thread has exited: nothing is lent or taken back any more

    private StoragePool() => OwnerThread = Environment.CurrentManagedThreadId;

    /// <summary>Managed id of the thread this pool lends to.</summary>
    internal int OwnerThread { get; }

    /// <summary>This thread's pool, or null before its first safe point.</summary>
    internal static StoragePool? Current => t_pool;

    /// <summary>
    /// A Float32 array of exactly <paramref name="length"/> elements, zeroed when <paramref name="zero"/>, and the storage
    /// object its tensors must share (null when the array is not pooled: small, allocator off, or no pool on this thread).
    /// </summary>
    internal static (float[] Array, StorageVersion? Storage) Rent(int length, bool zero)
    {
        if (t_pool is { } pool && length >= CachingAllocator.MinElements && CachingAllocator.Enabled
            && pool._loans.Count < MaxLoans && pool._bytesSinceScan < CachingAllocator.MaxUnscannedBytes)
            return pool.Lend(length, zero);
        return (NewArray(length, zero), null);
    }

    // A thread that rents without ever reaching a safe point stops being tracked beyond this many loans.
    private const int MaxLoans = 1 << 18;

    private (float[], StorageVersion?) Lend(int length, bool zero)
    {
        bool repeat;
        bool seen = _lastRequest.TryGetValue(length, out var last);
        if (seen && last.Window == _scans) repeat = last.Repeat;
        else _lastRequest[length] = (_scans, repeat = seen && _scans - last.Window <= RecurWindows);
        float[] array;
        if (!repeat && CachingAllocator.AdaptiveCaching)
        {
            // A size not asked for in the previous window: a plain array the garbage collector owns. Holding it until the
            // next look would only keep a dead array alive through full collections, which then come further apart.
            _uncached++;
            _bytesSinceInduced += 4L * length;   // the end of a step still looks, so the sizes' recurrence keeps being measured
            return (NewArray(length, zero), null);
        }
        if (_free.TryGetValue(length, out var bucket) && bucket.Count > 0)
        {
            array = bucket[^1].Array;
            bucket.RemoveAt(bucket.Count - 1);
            _cachedBytes -= 4L * length;
            _hits++;
            _hitSizes.Add(length);
            if (zero) Array.Clear(array);
            else if (CachingAllocator.DebugChecks) array.AsSpan().Fill(float.NaN);
        }
        else
        {
            array = NewArray(length, zero);
            _misses++;
        }
        var storage = new StorageVersion { Pool = this, LoanId = ++_nextId };
        _loans.Add(new Loan(GCHandle.Alloc(storage, GCHandleType.Weak), GCHandle.Alloc(array, GCHandleType.Normal), storage.LoanId));
        _bytesSinceScan += 4L * length;
        _bytesSinceInduced += 4L * length;
        if (CachingAllocator.DebugChecks) s_lent.AddOrUpdate(array, s_lentMark);
        return (array, storage);
    }

    // A fresh array: zeroed, or uninitialized (NaN under DebugChecks, so a read of unwritten storage shows).
    private static float[] NewArray(int length, bool zero)
    {
        var array = zero ? new float[length] : GC.AllocateUninitializedArray<float>(length);
        if (!zero && CachingAllocator.DebugChecks) array.AsSpan().Fill(float.NaN);
        return array;
    }

    /// <summary>Throws when <paramref name="array"/> was lent by a pool: such an array must be wrapped with its storage.</summary>
    internal static void CheckNotLent(float[] array)
    {
        if (CachingAllocator.DebugChecks && s_lent.TryGetValue(array, out _))
            throw new InvalidOperationException("Internal error: an array lent by the caching allocator was wrapped in a new tensor without its storage, " +
                "so the pool could lend it again while that tensor still uses it. Build the tensor with Tensor.AliasOf(owner, …).");
    }

    /// <summary>Records that loan <paramref name="id"/> escaped (called from any thread).</summary>
    internal void MarkEscaped(long id)
    {
        lock (_escaped)
            if (!_retired) _escaped.Add(id);
    }

    /// <summary>Marks the calling thread as inside engine code that may hold raw arrays (no safe point until it leaves).</summary>
    internal static void Enter() => t_depth++;

    /// <summary>Leaves the region entered by <see cref="Enter"/>.</summary>
    internal static void Exit() => t_depth--;

    /// <summary>
    /// A point where the calling thread holds no raw storage array: creates this thread's pool on first use, and takes
    /// back the arrays whose tensors are gone. With <paramref name="endOfStep"/>, it first runs a young-generation
    /// collection when at least <see cref="CachingAllocator.CollectThresholdBytes"/> were lent since the last look,
    /// so the step's arrays come back before the next step asks for them.
    /// </summary>
    internal static void SafePoint(bool endOfStep)
    {
        // Not inside an op, nor inside a parallel body: the engine's workers may be reading this thread's storage there.
        if (t_depth != 0 || Kernels.Parallelism.InParallelRegion || !CachingAllocator.Enabled) return;
        if (t_pool is null)
        {
            t_pool = new StoragePool();
            t_exit = new ThreadExit(t_pool);
        }
        t_pool.Reclaim(endOfStep);
    }

    // Thread-static, so it becomes garbage when the thread exits; its finalizer then retires the pool.
    private sealed class ThreadExit(StoragePool pool)
    {
        ~ThreadExit() => pool.Retire();
    }

    /// <summary>
    /// Lets go of every loan and cached array (runs on the finalizer thread once the owner thread has exited, or when
    /// the pool itself is collected). Loaned arrays stay with their tensors and are collected with them.
    /// </summary>
    internal void Retire()
    {
        lock (_escaped)
        {
            if (_retired) return;
            _retired = true;
            _escaped.Clear();
        }
        foreach (var loan in _loans)
        {
            loan.Storage.Free();
            loan.Array.Free();
        }
        _loans.Clear();
        _free.Clear();
        _cachedBytes = 0;
    }

    /// <summary>Whether <see cref="Retire"/> ran.</summary>
    internal bool IsRetired => _retired;

    private void Reclaim(bool induce)
    {
        // Even with nothing lent, a look closes the sizes' window, so sizes that start recurring get lent.
        // Counted from the last collection this pool ran, not the last one seen: a collection in the middle of the
        // step (the young generation filling up) ran while the step's tensors were alive and freed none of them.
        InduceIfDue(induce);
        int collections = GC.CollectionCount(0);
        if (collections == _lastCollection) return;   // no collection since the last look: nothing can have died
        _lastCollection = collections;
        _bytesSinceScan = 0;
        _scans++;
        int kept = 0;
        lock (_escaped)
        {
            for (int i = 0; i < _loans.Count; i++)
            {
                var loan = _loans[i];
                if (loan.Storage.Target is not null) { _loans[kept++] = loan; continue; }
                var array = (float[])loan.Array.Target!;
                loan.Storage.Free();
                loan.Array.Free();
                if (_escaped.Remove(loan.Id)) { _escapedCount++; continue; }
                Return(array);
            }
        }
        _loans.RemoveRange(kept, _loans.Count - kept);
        Trim();
        // A cache that keeps dropping arrays (shapes that change every call, e.g. an ensemble splitting each batch by route)
        // hands the large object heap garbage that only a full collection frees; the survivors it holds also make the GC
        // wait longer between full collections, so that garbage piled up to many times the cache's cap. Collect it here.
        if (_droppedSinceFull >= CachingAllocator.FullCollectAfterDroppedBytes)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
            _fullCollections++;
            _droppedSinceFull = 0;
        }
    }

    private void InduceIfDue(bool induce)
    {
        // A young pool looks at the end of every step that lent anything: a size is pooled only once it was asked for in two
        // windows, so a loop that lends little per step (a bare matmul) would otherwise take dozens of steps to reach its
        // steady state. A few young-generation collections at start-up cost nothing next to that.
        long threshold = _scans < YoungScans ? Math.Min(1, CachingAllocator.CollectThresholdBytes) : CachingAllocator.CollectThresholdBytes;
        if (!induce || _bytesSinceInduced < threshold) return;
        // Gen 1, not 0: a storage object that survived one collection mid-step sits in gen 1 and would otherwise
        // wait for a full collection, and its array with it.
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        _induced++;
        _bytesSinceInduced = 0;
        // A background full collection still running (started by the runtime when fresh large arrays filled the large object
        // heap's budget, as while a loop warms up) leaves the step's dead storage handles set after this young collection, so
        // the look would take nothing back and the next step would allocate its whole working set again (measured: a ResNet
        // step's 670 MB, cached twice over from then on). Every collection, background ones included, counts in
        // CollectionCount(0) when it starts and sets GCMemoryInfo.Index when it ends: a gap means one is still running. A
        // blocking full collection waits for it and then clears the handles. A steady loop allocates no large arrays, runs
        // no background collection and never pays this.
        if (GC.GetGCMemoryInfo(GCKind.Any).Index < GC.CollectionCount(0))
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
            _fullCollections++;
        }
    }

    private void Return(float[] array)
    {
        if (!_free.TryGetValue(array.Length, out var bucket)) _free[array.Length] = bucket = [];
        bucket.Add(new Cached(array, _scans));
        _cachedBytes += 4L * array.Length;
        _reclaimed++;
    }

    // Drops arrays of sizes nobody asked for in the last StaleScans looks (UnprovenScans for sizes never served from the cache),
    // then the oldest beyond MaxCachedBytes.
    private void Trim()
    {
        long limit = CachingAllocator.MaxCachedBytes;
        foreach (var (size, last) in _lastRequest)
            if (_scans - last.Window > CachingAllocator.StaleScans) { _lastRequest.Remove(size); _hitSizes.Remove(size); }
        foreach (var (size, bucket) in _free)
        {
            // A steady loop's size is hit at the first step after its arrays come back; one never hit recurred by chance.
            // (Adaptive caching only: with it off, as in the test suites, every size is kept as long, to be recycled between ops.)
            int keep = !CachingAllocator.AdaptiveCaching || _hitSizes.Contains(size) ? CachingAllocator.StaleScans
                : Math.Min(UnprovenScans, CachingAllocator.StaleScans);
            int stale = 0;
            while (stale < bucket.Count && _scans - bucket[stale].Scan > keep) stale++;
            Drop(bucket, stale, thrash: false);   // sizes a finished phase used: the GC takes them on its own schedule
        }
        while (_cachedBytes > limit)
        {
            List<Cached>? oldest = null;
            foreach (var bucket in _free.Values)
                if (bucket.Count > 0 && (oldest is null || bucket[0].Scan < oldest[0].Scan)) oldest = bucket;
            if (oldest is null) break;
            Drop(oldest, 1, thrash: true);
        }
    }

    // Thrash: dropped because the cache overflowed, the sign of sizes that change faster than they recur.
    private void Drop(List<Cached> bucket, int count, bool thrash)
    {
        for (int i = 0; i < count; i++)
        {
            _cachedBytes -= 4L * bucket[i].Array.Length;
            if (thrash) _droppedSinceFull += 4L * bucket[i].Array.Length;
        }
        bucket.RemoveRange(0, count);
        _trimmed += count;
    }

    /// <summary>Releases every cached array of this pool to the garbage collector and forgets which sizes recurred, as a new
    /// pool (what <see cref="CachingAllocator.EmptyCache"/> promises).</summary>
    internal void EmptyCache()
    {
        foreach (var bucket in _free.Values) Drop(bucket, bucket.Count, thrash: false);
        _free.Clear();
        _lastRequest.Clear();
        _hitSizes.Clear();
    }

    /// <summary>This pool's counters.</summary>
    internal MemoryStats Stats()
    {
        long lentBytes = 0;
        foreach (var loan in _loans)
            lentBytes += 4L * ((float[])loan.Array.Target!).Length;
        return new MemoryStats(_hits, _misses, _reclaimed, _escapedCount, _trimmed, _induced, _loans.Count, lentBytes, _cachedBytes, _fullCollections, _uncached);
    }

    ~StoragePool() => Retire();
}
