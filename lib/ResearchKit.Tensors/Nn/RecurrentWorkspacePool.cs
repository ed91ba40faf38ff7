using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors.Nn;

/// <summary>
/// A recurrent module's cache of kernel workspaces keyed by geometry (T, B, I, H), so a training loop reuses the
/// saved-activation buffers (≈400 MB for sequential MNIST) instead of allocating them every step.
/// </summary>
/// <remarks>
/// Policy: each forward rents one workspace per layer·direction. Without autograd recording it is returned as soon as
/// the forward finished. With recording, the autograd node owns it until its backward has run and then returns it;
/// a node that is garbage-collected without a backward (outputs dropped) is detected through a weak reference and its
/// workspace is reclaimed on a later rent. At most <c>maxFree</c> idle workspaces are kept (oldest evicted first),
/// so alternating geometries (e.g. a smaller last batch) do not hoard memory. Thread-safe.
/// </remarks>
internal sealed class RecurrentWorkspacePool
{
    private readonly object _gate = new();
    private readonly Func<int, int, int, int, RecurrentWorkspace> _create;
    private readonly int _maxFree;
    private readonly List<RecurrentWorkspace> _free = new();
    private readonly List<(WeakReference<object> Owner, RecurrentWorkspace Workspace)> _lent = new();

    /// <summary>Creates an empty pool that builds workspaces with <paramref name="create"/>(T, B, I, H).</summary>
    public RecurrentWorkspacePool(Func<int, int, int, int, RecurrentWorkspace> create, int maxFree)
    {
        _create = create;
        _maxFree = Math.Max(1, maxFree);
    }

    /// <summary>Number of workspaces constructed by this pool so far (a reuse test: stays constant in a training loop).</summary>
    public int Created { get; private set; }

    /// <summary>Idle workspaces ready for reuse.</summary>
    public int FreeCount { get { lock (_gate) return _free.Count; } }

    /// <summary>Workspaces currently owned by live autograd nodes (dead owners are counted until reclaimed).</summary>
    public int LentCount { get { lock (_gate) return _lent.Count; } }

    /// <summary>
    /// Returns an idle workspace of this geometry or a new one. With an <paramref name="owner"/>, the workspace is
    /// tracked until <see cref="Return"/> or until the owner is collected.
    /// </summary>
    public RecurrentWorkspace Rent(int seqLen, int batch, int inputSize, int hiddenSize, object? owner)
    {
        lock (_gate)
        {
            var ws = TakeFree(seqLen, batch, inputSize, hiddenSize);
            if (ws is null && ReclaimDead() > 0) ws = TakeFree(seqLen, batch, inputSize, hiddenSize);
            if (ws is not null)
            {
                if (owner is not null) _lent.Add((new WeakReference<object>(owner), ws));
                return ws;
            }
        }
        var created = _create(seqLen, batch, inputSize, hiddenSize);
        lock (_gate)
        {
            Created++;
            if (owner is not null) _lent.Add((new WeakReference<object>(owner), created));
        }
        return created;
    }

    /// <summary>Gives a workspace back for reuse (its saved forward state is no longer needed).</summary>
    public void Return(RecurrentWorkspace workspace)
    {
        lock (_gate)
        {
            for (int i = 0; i < _lent.Count; i++)
                if (ReferenceEquals(_lent[i].Workspace, workspace)) { _lent.RemoveAt(i); break; }
            foreach (var f in _free) if (ReferenceEquals(f, workspace)) return; // already idle (defensive)
            _free.Add(workspace);
            // Also free what collected owners still pin, so a dead graph never holds its buffers until the next miss.
            ReclaimDead();
            while (_free.Count > _maxFree) _free.RemoveAt(0);
        }
    }

    /// <summary>Drops every idle workspace (lent ones stay with their nodes and are not returned to the pool).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _free.Clear();
            _lent.Clear();
        }
    }

    private RecurrentWorkspace? TakeFree(int seqLen, int batch, int inputSize, int hiddenSize)
    {
        // Most recently returned first: it is the likeliest to be warm in cache.
        for (int i = _free.Count - 1; i >= 0; i--)
        {
            var ws = _free[i];
            if (!ws.Matches(seqLen, batch, inputSize, hiddenSize)) continue;
            _free.RemoveAt(i);
            return ws;
        }
        return null;
    }

    private int ReclaimDead()
    {
        int reclaimed = 0;
        for (int i = _lent.Count - 1; i >= 0; i--)
        {
            if (_lent[i].Owner.TryGetTarget(out _)) continue;
            _free.Add(_lent[i].Workspace);
            _lent.RemoveAt(i);
            reclaimed++;
        }
        while (_free.Count > _maxFree) _free.RemoveAt(0);
        return reclaimed;
    }
}
