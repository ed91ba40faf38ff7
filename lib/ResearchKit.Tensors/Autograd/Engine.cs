namespace ResearchKit.Tensors;

/// <summary>Runs reverse-mode differentiation over the graph of <see cref="Node"/>s.</summary>
internal static class Engine
{
    /// <summary>
    /// Back-propagates <paramref name="rootGrads"/> from <paramref name="roots"/>. When <paramref name="captures"/> is null,
    /// leaf gradients are accumulated into <see cref="Tensor.Grad"/>; otherwise the gradients of the captured tensors are
    /// returned (in order, null where unreachable) and no <c>.Grad</c> is touched.
    /// </summary>
    public static Tensor?[]? Run(Tensor[] roots, Tensor[] rootGrads, Tensor[]? captures, bool createGraph)
    {
        // Captures: leaves by reference, non-leaves by (node, output index).
        Dictionary<Tensor, int>? leafCapture = null;
        Dictionary<(Node, int), int>? nodeCapture = null;
        Tensor?[]? captured = null;
        if (captures is not null)
        {
            captured = new Tensor?[captures.Length];
            leafCapture = new(ReferenceEqualityComparer.Instance);
            nodeCapture = new();
            for (int i = 0; i < captures.Length; i++)
            {
                var c = captures[i];
                if (!c.RequiresGrad)
                    throw new ArgumentException($"Autograd.Grad: input {i} (shape {c.Shape}) does not require grad; set RequiresGrad = true before computing the outputs.");
                if (c.GradFn is null) leafCapture.TryAdd(c, i);
                else nodeCapture.TryAdd((c.GradFn, c.OutputIndex), i);
            }
        }

        // Dependency counts: how many recorded consumers each node has among the reachable part of the graph.
        var deps = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>();
        foreach (var r in roots)
            if (r.GradFn is not null && deps.TryAdd(r.GradFn, 0)) stack.Push(r.GradFn);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            foreach (var input in n.Inputs)
            {
                var p = input.GradFn;
                if (p is null || !input.RequiresGrad) continue;
                if (deps.TryGetValue(p, out int d)) deps[p] = d + 1;
                else { deps[p] = 1; stack.Push(p); }
            }
        }

        var buffers = new Dictionary<Node, Tensor?[]>(ReferenceEqualityComparer.Instance);
        var ready = new Stack<Node>();
        for (int i = 0; i < roots.Length; i++)
        {
            var r = roots[i];
            if (r.GradFn is null) { Deliver(r, rootGrads[i]); continue; }
            Accumulate(buffers, r.GradFn, r.OutputIndex, rootGrads[i]);
        }
        foreach (var r in roots)
            if (r.GradFn is not null && deps[r.GradFn] == 0 && !ready.Contains(r.GradFn)) ready.Push(r.GradFn);

        using var mode = GradMode.Set(createGraph);
        while (ready.Count > 0)
        {
            var node = ready.Pop();
            buffers.Remove(node, out var grads);
            grads ??= new Tensor?[node.NumOutputs];
            if (node.Retained is not null)
                for (int k = 0; k < grads.Length; k++)
                    if (node.Retained[k] is { } t && grads[k] is { } g) t.Grad = t.Grad is null ? g.Clone() : t.Grad + g;
            if (nodeCapture is not null)
                for (int k = 0; k < grads.Length; k++)
                    if (grads[k] is { } g && nodeCapture.TryGetValue((node, k), out int ci)) captured![ci] = g;

            bool any = false;
            foreach (var g in grads) any |= g is not null;
            Tensor?[] inputGrads = any ? node.Backward(grads) : new Tensor?[node.Inputs.Length];
            if (inputGrads.Length != node.Inputs.Length)
                throw new InvalidOperationException($"Backward of '{node.Name}' returned {inputGrads.Length} gradients for {node.Inputs.Length} inputs.");

            for (int i = 0; i < node.Inputs.Length; i++)
            {
                var input = node.Inputs[i];
                var gi = inputGrads[i];
                if (!input.RequiresGrad) continue;
                if (gi is not null && !ShapeUtil.SameShape(gi._shape, input._shape))
                    throw new InvalidOperationException($"Backward of '{node.Name}' returned a gradient of shape {gi.Shape} for input {i} of shape {input.Shape}.");
                if (input.GradFn is { } p)
                {
                    if (gi is not null) Accumulate(buffers, p, input.OutputIndex, gi);
                    int d = deps[p] - 1;
                    deps[p] = d;
                    if (d == 0) ready.Push(p);
                }
                else if (gi is not null) Deliver(input, gi);
            }
        }
        return captured;

        void Deliver(Tensor leaf, Tensor g)
        {
            if (leafCapture is not null)
            {
                if (leafCapture.TryGetValue(leaf, out int ci)) captured![ci] = captured[ci] is null ? g : captured[ci]! + g;
                return;
            }
            if (!leaf.RequiresGrad) return;
            // A gradient tensor may be shared with other branches (e.g. add passes it through), so keep a private copy.
            if (leaf.Grad is null) leaf.Grad = createGraph ? g : g.Clone();
            else if (createGraph) leaf.Grad = leaf.Grad + g;
            else leaf.Grad.AddInPlace(g);
        }
    }

    private static void Accumulate(Dictionary<Node, Tensor?[]> buffers, Node node, int index, Tensor g)
    {
        if (!buffers.TryGetValue(node, out var buf)) buffers[node] = buf = new Tensor?[node.NumOutputs];
        buf[index] = buf[index] is null ? g : buf[index]! + g;
    }
}
