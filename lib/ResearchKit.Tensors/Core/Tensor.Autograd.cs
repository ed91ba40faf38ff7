
namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── backward ─────────────────────────────

    /// <summary>
    /// Computes the gradient of this tensor with respect to every leaf that requires grad and accumulates it into
    /// <see cref="Grad"/> (<c>tensor.backward()</c>). Gradients accumulate across calls until cleared.
    /// </summary>
    /// <param name="gradient">∂L/∂this; may be omitted for a one-element tensor (taken as 1).</param>
    /// <param name="createGraph">Record the backward pass itself (for higher-order gradients).</param>
    /// <param name="retainGraph">Keep the saved tensors so the graph can be differentiated again; defaults to <paramref name="createGraph"/>.</param>
    /// <exception cref="ArgumentException">This tensor does not require grad, or the gradient's shape differs.</exception>
    /// <exception cref="InvalidOperationException">A saved tensor was modified in place, or the graph was freed by an earlier backward.</exception>
    public void Backward(Tensor? gradient = null, bool createGraph = false, bool? retainGraph = null)
    {
        var seeds = Autograd.Seeds([this], gradient is null ? null : [gradient], "Backward");
        Engine.Run([this], seeds, null, createGraph, retainGraph ?? createGraph);
    }

    /// <summary>A tensor sharing this one's data but cut from the graph (<c>tensor.detach()</c>).</summary>
    public Tensor Detach() => AliasRaw();

    /// <summary>Keeps the gradient of this non-leaf tensor in <see cref="Grad"/> during backward (<c>retain_grad()</c>).</summary>
    public Tensor RetainGrad()
    {
        if (GradFn is null) return this;
        GradFn.Retained ??= new Tensor?[GradFn.NumOutputs];
        GradFn.Retained[OutputIndex] = this;
        return this;
    }

    /// <summary>A new tensor object over the same view, without graph information.</summary>
    private Tensor AliasRaw() => new(this, _shape, _strides, _offset);

    /// <summary>A new tensor object over the same view that is differentiable as identity when this one requires grad.</summary>
    internal Tensor Alias()
    {
        var t = AliasRaw();
        return RequiresGrad && GradMode.IsEnabled ? Record(t, "alias", this, g => g, NoSaved) : t;
    }

    internal void SetGradFn(Node node, int outputIndex)
    {
        GradFn = node;
        OutputIndex = outputIndex;
        _requiresGrad = true;
    }

    // ───────────────────────────── recording helpers ─────────────────────────────

    // Recording helpers. `saved` lists the tensors the rule reads (checked against in-place writes before backward):
    // null means the inputs, NoSaved means none (rules that only use shapes), and rules that read their own output
    // pass it. A rule asks Needs(t), not t.RequiresGrad, so Autograd.Grad can skip gradients nobody asked for.

    /// <summary>For rules that read no tensor data (add, views, reductions by sum): nothing to check or free.</summary>
    internal static readonly Tensor[] NoSaved = [];

    /// <summary>Whether the running backward rule must produce a gradient for <paramref name="t"/> (see <see cref="Engine.Needs"/>).</summary>
    internal static bool Needs(Tensor t) => Engine.Needs(t);

    /// <summary>Whether input <paramref name="i"/> of the running backward rule must get a gradient (see <see cref="Engine.NeedsInput"/>).</summary>
    internal static bool NeedsInput(int i) => Engine.NeedsInput(i);

    /// <summary>True for the data-less stand-in a released graph node keeps in place of a non-leaf input.</summary>
    internal bool IsStub { get; private init; }

    /// <summary>
    /// A stand-in with this tensor's shape and graph position (GradFn, output index, requires-grad) but no data: what a
    /// released node needs to route gradients through a retained-free graph again, without keeping the activation alive.
    /// </summary>
    internal Tensor Stub()
    {
        var t = new Tensor(Array.Empty<float>(), _shape, _strides, 0) { IsStub = true };
        t.GradFn = GradFn;
        t.OutputIndex = OutputIndex;
        t._requiresGrad = _requiresGrad;
        t.Name = Name;
        return t;
    }

    /// <summary>Attaches a one-input backward rule to <paramref name="result"/> when <paramref name="a"/> requires grad.</summary>
    internal static Tensor Record(Tensor result, string name, Tensor a, Func<Tensor, Tensor?> backward, Tensor[]? saved = null)
    {
        if (!GradMode.IsEnabled || !a.RequiresGrad) return result;
        result.SetGradFn(new LambdaNode(name, [a], g => [backward(g)], saved), 0);
        return result;
    }

    /// <summary>Attaches a two-input backward rule; the rule may return null for an input that needs no gradient.</summary>
    internal static Tensor Record(Tensor result, string name, Tensor a, Tensor b, Func<Tensor, (Tensor?, Tensor?)> backward, Tensor[]? saved = null)
    {
        if (!GradMode.IsEnabled || !(a.RequiresGrad || b.RequiresGrad)) return result;
        result.SetGradFn(new LambdaNode(name, [a, b], g => { var (ga, gb) = backward(g); return [ga, gb]; }, saved), 0);
        return result;
    }

    /// <summary>Attaches an n-input backward rule.</summary>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, Tensor[]? saved = null)
    {
        if (!GradMode.IsEnabled) return result;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return result;
        result.SetGradFn(new LambdaNode(name, inputs, backward, saved), 0);
        return result;
    }

    /// <summary>Attaches a multi-output node to <paramref name="outputs"/> when any input requires grad.</summary>
    internal static void RecordMulti(Node node, Tensor[] outputs)
    {
        for (int i = 0; i < outputs.Length; i++) outputs[i].SetGradFn(node, i);
    }

    internal static bool AnyRequiresGrad(params Tensor?[] inputs)
    {
        if (!GradMode.IsEnabled) return false;
        foreach (var t in inputs) if (t is not null && t.RequiresGrad) return true;
        return false;
    }

    /// <summary>
    /// Guards an in-place write and records it: refuses a tensor that requires grad while grad mode is on (the write
    /// would bypass autograd) and a view whose elements overlap (an expanded or self-overlapping view, where one write
    /// would land on several elements); then bumps the storage's <see cref="Version"/>. Call it before any grad-mode
    /// change, so an op that computes its new value under NoGrad is still checked.
    /// </summary>
    internal void CheckInPlace(string op)
    {
        if (GradMode.IsEnabled && RequiresGrad)
            throw new InvalidOperationException($"{op}: in-place update of a tensor that requires grad (shape {Shape}) would break autograd; wrap it in `using (Torch.NoGrad())` (as optimizers do) or use the out-of-place op.");
        if (HasOverlap())
            throw new InvalidOperationException($"{op}: the destination (shape {Shape}, strides {ShapeUtil.Format(_strides)}) is an expanded or self-overlapping view, so several of its elements share one memory location and an in-place write would race; write into a Contiguous() copy (or Clone()) instead.");
        BumpVersion();
    }

    /// <summary>True when two indices of this view address one storage element (a stride 0, or strides that interleave).</summary>
    internal bool HasOverlap()
    {
        int n = _shape.Length;
        if (n == 0 || _numel <= 1 || IsContiguous) return false;
        // Dimensions of size > 1 sorted by stride: if each stride steps past everything the smaller ones span, the
        // view is one-to-one. This settles every view the engine's own ops make.
        Span<(int Stride, int Size)> dims = stackalloc (int, int)[n];
        int k = 0;
        for (int i = 0; i < n; i++)
            if (_shape[i] > 1)
            {
                if (_strides[i] == 0) return true;
                dims[k++] = (Math.Abs(_strides[i]), _shape[i]);
            }
        dims = dims[..k];
        dims.Sort((x, y) => x.Stride.CompareTo(y.Stride));
        long extent = 0;
        bool simple = true;
        foreach (var (stride, size) in dims)
        {
            if (stride <= extent) { simple = false; break; }
            extent += (long)stride * (size - 1);
        }
        if (simple) return false;
        // Interleaved strides (e.g. shape (3, 2), strides (2, 3)) may still be one-to-one: count the offsets.
        long span = 0;
        foreach (var (stride, size) in dims) span += (long)stride * (size - 1);
        if (span >= 1 << 26) return true; // too large to enumerate: refuse rather than risk a race
        var hit = new System.Collections.BitArray((int)span + 1);
        var idx = new int[k];
        while (true)
        {
            long off = 0;
            for (int i = 0; i < k; i++) off += (long)idx[i] * dims[i].Stride;
            if (hit[(int)off]) return true;
            hit[(int)off] = true;
            int d = k - 1;
            while (d >= 0 && ++idx[d] == dims[d].Size) { idx[d] = 0; d--; }
            if (d < 0) return false;
        }
    }
}
