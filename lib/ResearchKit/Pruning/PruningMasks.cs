using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;

namespace ResearchKit.Pruning;

/// <summary>
/// Binary Float32 masks (1 = kept, 0 = pruned) by dotted parameter name. Immutable: pruning returns new masks
/// (see <see cref="PruningPlan.Prune"/>), so masks captured for a round never change afterwards.
/// </summary>
/// <remarks>
/// Keeping pruned weights at exactly +0 through training takes three operations, all under <see cref="Torch.NoGrad"/>:
/// <list type="number">
/// <item><see cref="MaskGradients"/> before the optimizer step (grad ← grad ⊙ m), so pruned weights get no update;</item>
/// <item><see cref="Apply"/> after the step (θ ← θ ⊙ m), so the forward pass sees the masked weights;</item>
/// <item><see cref="MaskOptimizerState"/> after the step: momentum, Adam moments and RMSprop averages are zeroed at
/// pruned positions, so no stale buffer can move (resurrect) a pruned weight later.</item>
/// </list>
/// <see cref="MaskedOptimizer"/> does 1–3 around <see cref="Optimizer.Step()"/>; <see cref="PruningCallback"/> does 2–3
/// after each <see cref="Training.Trainer"/> step, which is bit-identical for the element-wise optimizers (SGD, Adam,
/// AdamW, RMSprop): zeroing the state and weight after the step leaves them where a zero gradient would have.
/// "Zeroed" entries are written as +0 by selection, never by multiplication (no −0, no NaN·0).
/// </remarks>
public sealed class PruningMasks
{
    /// <summary>The key prefix of masks in a checkpoint dictionary: <c>"mask.&lt;parameter name&gt;"</c>.</summary>
    public const string KeyPrefix = "mask.";

    private readonly Dictionary<string, Tensor> _masks;
    private Module? _boundModule;
    private (Tensor Param, Tensor Mask)[]? _bound;

    /// <summary>No masks (a dense model).</summary>
    public PruningMasks() => _masks = new Dictionary<string, Tensor>(StringComparer.Ordinal);

    /// <summary>Masks by parameter name; each is copied and checked to hold only 0 and 1.</summary>
    /// <exception cref="ArgumentException">A mask is not Float32 or holds a value other than 0 or 1.</exception>
    public PruningMasks(IReadOnlyDictionary<string, Tensor> masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        _masks = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, m) in masks)
        {
            ArgumentNullException.ThrowIfNull(m, name);
            if (m.DType != DType.Float32) throw new ArgumentException($"PruningMasks: mask '{name}' is {m.DType}; masks are Float32 tensors of 0 and 1 (use mask.Float()).", nameof(masks));
            Tensor copy;
            using (Torch.NoGrad()) copy = m.Detach().Contiguous().Clone();
            if (!MaskKernel.IsBinary(copy.AsReadOnlySpan())) throw new ArgumentException($"PruningMasks: mask '{name}' (shape {m.Shape}) holds values other than 0 and 1; a mask marks kept (1) and pruned (0) weights.", nameof(masks));
            _masks[name] = copy;
        }
    }

    /// <summary>Wraps freshly built mask tensors without copying (they must not be shared).</summary>
    private PruningMasks(Dictionary<string, Tensor> owned, bool _) => _masks = owned;

    internal static PruningMasks Own(Dictionary<string, Tensor> owned) => new(owned, true);

    /// <summary>Number of masked parameters.</summary>
    public int Count => _masks.Count;

    /// <summary>Names of the masked parameters.</summary>
    public IEnumerable<string> Names => _masks.Keys;

    /// <summary>Whether <paramref name="parameterName"/> has a mask.</summary>
    public bool Contains(string parameterName) => _masks.ContainsKey(parameterName);

    /// <summary>The mask of a parameter (treat it as read-only), or null when the parameter is not masked.</summary>
    public Tensor? this[string parameterName] => _masks.TryGetValue(parameterName, out var m) ? m : null;

    /// <summary>Pruned (zero) entries of one parameter's mask (0 when it has no mask).</summary>
    public long PrunedCount(string parameterName) => _masks.TryGetValue(parameterName, out var m) ? MaskKernel.CountZeros(m.AsReadOnlySpan()) : 0;

    /// <summary>Pruned entries over all masks.</summary>
    public long PrunedCount()
    {
        long n = 0;
        foreach (var m in _masks.Values) n += MaskKernel.CountZeros(m.AsReadOnlySpan());
        return n;
    }

    /// <summary>Entries over all masks (the number of weights the masks cover).</summary>
    public long TotalCount()
    {
        long n = 0;
        foreach (var m in _masks.Values) n += m.Numel;
        return n;
    }

    /// <summary>Fraction of pruned entries of one parameter (0 when it has no mask).</summary>
    public double Sparsity(string parameterName) => _masks.TryGetValue(parameterName, out var m) && m.Numel > 0 ? (double)MaskKernel.CountZeros(m.AsReadOnlySpan()) / m.Numel : 0;

    /// <summary>Whether every position pruned by <paramref name="earlier"/> is pruned here too (masks only lose ones).</summary>
    public bool IsMonotoneExtensionOf(PruningMasks earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        foreach (var (name, old) in earlier._masks)
        {
            if (MaskKernel.CountZeros(old.AsReadOnlySpan()) == 0) continue;
            if (!_masks.TryGetValue(name, out var now) || now.Numel != old.Numel) return false;
            var o = old.AsReadOnlySpan();
            var n = now.AsReadOnlySpan();
            for (int i = 0; i < o.Length; i++)
                if (o[i] == 0f && n[i] != 0f) return false;
        }
        return true;
    }

    // ───────────────────────────── applying ─────────────────────────────

    /// <summary>Sets pruned weights of <paramref name="model"/> to +0 (θ ← θ ⊙ m), in place.</summary>
    /// <exception cref="ArgumentException">A masked parameter is missing from the model or has another shape.</exception>
    public void Apply(Module model)
    {
        foreach (var (p, m) in Bind(model)) MaskKernel.Apply(p.AsSpan(), m.AsReadOnlySpan());
    }

    /// <summary>Zeroes the gradients of pruned weights (grad ← grad ⊙ m); call after backward, before the optimizer step.</summary>
    /// <exception cref="ArgumentException">A masked parameter is missing from the model or has another shape.</exception>
    public void MaskGradients(Module model)
    {
        foreach (var (p, m) in Bind(model))
        {
            var g = p.Grad;
            if (g is null) continue;
            // Leaf gradients are owned by their parameter (the engine clones them), so masking in place is safe.
            if (!g.IsContiguous) p.Grad = g = g.Contiguous();
            if (g.Numel != m.Numel) throw new ArgumentException($"PruningMasks.MaskGradients: the gradient of a masked parameter has shape {g.Shape}, its mask {m.Shape}.");
            MaskKernel.Apply(g.AsSpan(), m.AsReadOnlySpan());
        }
    }

    /// <summary>Zeroes <paramref name="optimizer"/>'s state buffers (momentum, moments, averages) at pruned positions.</summary>
    /// <remarks>Parameters without state yet (no step taken) are skipped; buffers are found through
    /// <see cref="Optimizer.GetState"/>, so this works for any optimizer whose buffers are shaped like the parameter.</remarks>
    /// <exception cref="ArgumentException">A masked parameter is missing from the model or has another shape.</exception>
    public void MaskOptimizerState(Optimizer optimizer, Module model)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        foreach (var (p, m) in Bind(model))
        {
            var st = optimizer.GetState(p);
            if (st is null) continue;
            foreach (var (_, buf) in st.Buffers)
                if (buf.Numel == m.Numel && buf.IsContiguous) MaskKernel.Apply(buf.AsSpan(), m.AsReadOnlySpan());
        }
    }

    /// <summary>What to do after every optimizer step: <see cref="Apply"/> and <see cref="MaskOptimizerState"/>.</summary>
    public void ApplyAfterStep(Module model, Optimizer optimizer)
    {
        Apply(model);
        MaskOptimizerState(optimizer, model);
    }

    /// <summary>The (parameter, mask) pairs of a model, cached for the last model seen (masks are immutable).</summary>
    private (Tensor Param, Tensor Mask)[] Bind(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        // Modules register their parameters once (constructor), so the pairs stay valid for the model's lifetime.
        if (ReferenceEquals(model, _boundModule) && _bound is not null) return _bound;
        var byName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (n, p) in model.NamedParameters()) byName[n] = p;
        var pairs = new (Tensor, Tensor)[_masks.Count];
        int i = 0;
        foreach (var (name, m) in _masks)
        {
            if (!byName.TryGetValue(name, out var p))
                throw new ArgumentException($"PruningMasks: the model has no parameter '{name}' (it has: {string.Join(", ", byName.Keys)}); the masks belong to another architecture.");
            if (!p.Shape.Equals(m.Shape))
                throw new ArgumentException($"PruningMasks: parameter '{name}' has shape {p.Shape} but its mask has shape {m.Shape}; the masks belong to another architecture.");
            if (!p.IsContiguous) throw new ArgumentException($"PruningMasks: parameter '{name}' is not contiguous; masks are applied in place to contiguous parameters.");
            pairs[i++] = (p, m);
        }
        _boundModule = model;
        _bound = pairs;
        return pairs;
    }

    // ───────────────────────────── checkpoints ─────────────────────────────

    /// <summary>Copies of the masks keyed <c>"mask.&lt;parameter name&gt;"</c>, to merge into a checkpoint dictionary.</summary>
    public Dictionary<string, Tensor> ToStateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, m) in _masks) d[KeyPrefix + name] = m.Clone();
        return d;
    }

    /// <summary>Reads the <c>"mask.*"</c> entries of a checkpoint dictionary (other keys, e.g. model weights, are ignored).</summary>
    /// <exception cref="ArgumentException">A mask entry is not a Float32 tensor of 0 and 1.</exception>
    public static PruningMasks FromStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in stateDict)
            if (key.StartsWith(KeyPrefix, StringComparison.Ordinal) && key.Length > KeyPrefix.Length)
                d[key[KeyPrefix.Length..]] = t;
        return new PruningMasks(d);
    }

    /// <summary>A deep copy.</summary>
    public PruningMasks Clone()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, m) in _masks) d[name] = m.Clone();
        return Own(d);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        long total = TotalCount();
        return $"PruningMasks({Count} parameters, {PrunedCount()}/{total} pruned{(total > 0 ? $", {(double)PrunedCount() / total:P2}" : "")})";
    }
}
