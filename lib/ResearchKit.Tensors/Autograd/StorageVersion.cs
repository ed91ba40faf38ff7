namespace ResearchKit.Tensors;

/// <summary>
/// The identity of one storage, shared by every tensor that views it: its version counter (PyTorch's
/// <c>VariableVersion</c>) and, for storage from the caching allocator, the pool that lent it.
/// </summary>
/// <remarks>
/// Every in-place write bumps <see cref="Value"/>, and a graph node remembers the value of each tensor it saved, so
/// backward can refuse to use data that changed after forward. For pooled storage this object is also what the pool
/// watches: its array is lent again only once no tensor references this object (see <see cref="Memory.StoragePool"/>),
/// so every tensor over a pooled array must share it (views and aliases do, through <c>Tensor.AliasOf</c>).
/// </remarks>
internal sealed class StorageVersion
{
    /// <summary>Number of in-place writes so far.</summary>
    public int Value;

    /// <summary>The pool that lent the array, or null for storage the pool does not track.</summary>
    internal Memory.StoragePool? Pool;

    /// <summary>The loan's id within <see cref="Pool"/>.</summary>
    internal long LoanId;

    // 1 once the array has been exposed where the pool cannot see its lifetime (a public span, another thread).
    private int _escaped;

    /// <summary>
    /// Removes the array from the pool for good: it was handed out as a span to code outside the engine, or touched from
    /// a thread other than the one that borrowed it, so the pool can no longer prove when it stops being used.
    /// </summary>
    internal void Escape()
    {
        if (Pool is { } pool && Interlocked.Exchange(ref _escaped, 1) == 0) pool.MarkEscaped(LoanId);
    }

    /// <summary>Escapes the storage when the calling thread is not the one whose pool lent it.</summary>
    /// <exception cref="InvalidOperationException">Under <see cref="CachingAllocator.DebugChecks"/>, inside a parallel body
    /// that the engine's worker pool runs: a kernel read a tensor's array there, which on a worker thread silently costs
    /// the storage its reuse (a fresh array every step). Which chunks a worker takes varies from run to run, so the check
    /// fires on the calling thread's chunks too; the kernel must take the array before the loop.</exception>
    internal void CheckThread()
    {
        if (Pool is not { } pool || _escaped != 0) return;
        if (CachingAllocator.DebugChecks && Kernels.Parallelism.InParallelRegion)
            throw new InvalidOperationException("Engine bug: a kernel read a pooled tensor's array inside a parallel body; on a worker thread that " +
                "marks the storage escaped, never lent again. Read Tensor.F on the calling thread before Parallelism.For/ForRanges.");
        if (pool.OwnerThread != Environment.CurrentManagedThreadId) Escape();
    }
}
