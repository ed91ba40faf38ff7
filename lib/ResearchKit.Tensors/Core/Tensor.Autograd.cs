
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
    /// <exception cref="ArgumentException">This tensor does not require grad, or the gradient's shape differs.</exception>
    public void Backward(Tensor? gradient = null, bool createGraph = false)
    {
        var seeds = Autograd.Seeds([this], gradient is null ? null : [gradient], "Backward");
        Engine.Run([this], seeds, null, createGraph);
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
    private Tensor AliasRaw() => _f is not null ? new Tensor(_f, _shape, _strides, _offset) : new Tensor(_l!, _shape, _strides, _offset);

    /// <summary>A new tensor object over the same view that is differentiable as identity when this one requires grad.</summary>
    internal Tensor Alias()
    {
        var t = AliasRaw();
        return RequiresGrad && GradMode.IsEnabled ? Record(t, "alias", this, g => g) : t;
    }

    internal void SetGradFn(Node node, int outputIndex)
    {
        GradFn = node;
        OutputIndex = outputIndex;
        _requiresGrad = true;
    }

    // ───────────────────────────── recording helpers ─────────────────────────────

    /// <summary>Attaches a one-input backward rule to <paramref name="result"/> when <paramref name="a"/> requires grad.</summary>
    internal static Tensor Record(Tensor result, string name, Tensor a, Func<Tensor, Tensor?> backward)
    {
        if (!GradMode.IsEnabled || !a.RequiresGrad) return result;
        result.SetGradFn(new LambdaNode(name, [a], g => [backward(g)]), 0);
        return result;
    }

    /// <summary>Attaches a two-input backward rule; the rule may return null for an input that needs no gradient.</summary>
    internal static Tensor Record(Tensor result, string name, Tensor a, Tensor b, Func<Tensor, (Tensor?, Tensor?)> backward)
    {
        if (!GradMode.IsEnabled || !(a.RequiresGrad || b.RequiresGrad)) return result;
        result.SetGradFn(new LambdaNode(name, [a, b], g => { var (ga, gb) = backward(g); return [ga, gb]; }), 0);
        return result;
    }

    /// <summary>Attaches an n-input backward rule.</summary>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!GradMode.IsEnabled) return result;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return result;
        result.SetGradFn(new LambdaNode(name, inputs, backward), 0);
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

    /// <summary>Throws if an in-place op would silently bypass autograd.</summary>
    internal void CheckInPlace(string op)
    {
        if (GradMode.IsEnabled && RequiresGrad)
            throw new InvalidOperationException($"{op}: in-place update of a tensor that requires grad (shape {Shape}) would break autograd; wrap it in `using (Torch.NoGrad())` (as optimizers do) or use the out-of-place op.");
    }
}
