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

    /// <summary>Whether the array was taken out of the pool for good (tests).</summary>
    internal bool Escaped => Volatile.Read(ref _escaped) != 0;

    /// <summary>
    /// Removes the array from the pool for good: it was handed out as a span to code outside the engine, or touched from
    /// a thread other than the one that borrowed it, so the pool can no longer prove when it stops being used.
    /// </summary>
    internal void Escape()
    {
        if (Pool is { } pool && Interlocked.Exchange(ref _escaped, 1) == 0) pool.MarkEscaped(LoanId);
    }

    /// <summary>
    /// Escapes the storage when the calling thread is not the one whose pool lent it, unless it is one of the engine's
    /// workers running a parallel loop of that thread: the owner waits in the loop, and passes no safe point there (see
    /// <see cref="Memory.StoragePool.SafePoint"/>), so nothing is lent again before the workers' reads have ended.
    /// </summary>
    internal void CheckThread()
    {
        if (Pool is not { } pool || _escaped != 0 || pool.OwnerThread == Environment.CurrentManagedThreadId) return;
        if (!Kernels.WorkerPool.RunsJobOf(pool.OwnerThread)) Escape();
    }
}
