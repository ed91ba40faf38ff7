namespace ResearchKit.Tensors;

/// <summary>Runs reverse-mode differentiation over the graph of <see cref="Node"/>s.</summary>
internal static class Engine
{
    // The node whose backward rule is running, so rules written as closures can ask which inputs are needed.
    [ThreadStatic] private static Node? _running;

    /// <summary>
    /// Whether the running backward rule must produce a gradient for <paramref name="t"/>: it requires grad and, when
    /// the engine pruned the graph for <c>Autograd.Grad</c>, leads to a requested input. Outside backward, or for a
    /// tensor that is not an input of the running node, this is just <see cref="Tensor.RequiresGrad"/>.
    /// </summary>
    public static bool Needs(Tensor t)
    {
        if (!t.RequiresGrad) return false;
        var node = _running;
        if (node?.NeededInputs is not { } mask) return true;
        bool found = false;
        var inputs = node.Inputs;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!ReferenceEquals(inputs[i], t)) continue;
            if (mask[i]) return true;
            found = true;
        }
        return !found;
    }

    /// <summary>
    /// Index form of <see cref="Needs"/> for rules that keep no reference to their inputs (so releasing the graph frees
    /// them): whether input <paramref name="i"/> of the running node must get a gradient.
    /// </summary>
    public static bool NeedsInput(int i)
    {
        var node = _running ?? throw new InvalidOperationException("NeedsInput is only meaningful inside a backward rule.");
        var t = node.Inputs[i];
        return t.RequiresGrad && (node.NeededInputs is not { } mask || mask[i]);
    }

    /// <summary>
    /// Back-propagates <paramref name="rootGrads"/> from <paramref name="roots"/>. When <paramref name="captures"/> is null,
    /// leaf gradients are accumulated into <see cref="Tensor.Grad"/> (and retained non-leaves' too); otherwise only the
    /// part of the graph that leads to a captured tensor runs, their gradients are returned (in order, null where
    /// unreachable) and no <c>.Grad</c> is touched. Saved tensors are freed afterwards unless <paramref name="retainGraph"/>.
    /// </summary>
    public static Tensor?[]? Run(Tensor[] roots, Tensor[] rootGrads, Tensor[]? captures, bool createGraph, bool retainGraph)
    {
        Tensor?[]? result;
        Memory.StoragePool.Enter();
        try { result = RunCore(roots, rootGrads, captures, createGraph, retainGraph); }
        finally { Memory.StoragePool.Exit(); }
        // The end of an outermost backward ends a training step: the step's storage can be lent again.
        Memory.StoragePool.SafePoint(endOfStep: !createGraph);
        return result;
    }

    private static Tensor?[]? RunCore(Tensor[] roots, Tensor[] rootGrads, Tensor[]? captures, bool createGraph, bool retainGraph)
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

        // The reachable graph, in discovery order.
        var order = new List<Node>();
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>();
        foreach (var r in roots)
            if (r.GradFn is { } f && seen.Add(f)) { order.Add(f); stack.Push(f); }
        while (stack.Count > 0)
        {
            foreach (var input in stack.Pop().Inputs)
                if (input.GradFn is { } p && input.RequiresGrad && seen.Add(p)) { order.Add(p); stack.Push(p); }
        }

        // For Autograd.Grad, keep only the nodes from which a captured tensor can be reached, and per node the inputs
        // that lead there: an input-gradient attack step then never computes a weight gradient.
        Dictionary<Node, bool[]>? needed = captures is null ? null : Prune(order, leafCapture!, nodeCapture!);

        var deps = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        foreach (var n in order)
        {
            if (needed is not null && !needed.ContainsKey(n)) continue;
            deps.TryAdd(n, 0);
            for (int i = 0; i < n.Inputs.Length; i++)
            {
                var input = n.Inputs[i];
                if (input.GradFn is not { } p || !input.RequiresGrad) continue;
                if (needed is not null && !needed[n][i]) continue;
                deps[p] = deps.TryGetValue(p, out int d) ? d + 1 : 1;
            }
        }

        var buffers = new Dictionary<Node, Tensor?[]>(ReferenceEqualityComparer.Instance);
        var ready = new Stack<Node>();
        for (int i = 0; i < roots.Length; i++)
        {
            var r = roots[i];
            if (r.GradFn is null) { Deliver(r, rootGrads[i]); continue; }
            if (!deps.ContainsKey(r.GradFn)) continue;
            Accumulate(buffers, r.GradFn, r.OutputIndex, rootGrads[i]);
        }
        foreach (var r in roots)
            if (r.GradFn is { } f && deps.TryGetValue(f, out int d0) && d0 == 0 && !ready.Contains(f)) ready.Push(f);

        // Check every saved tensor before running any rule, so a refused backward leaves no partial .Grad behind.
        foreach (var n in deps.Keys) n.CheckSaved();

        var previous = _running;
        using var mode = GradMode.Set(createGraph);
        try
        {
            while (ready.Count > 0)
            {
                var node = ready.Pop();
                buffers.Remove(node, out var grads);
                grads ??= new Tensor?[node.NumOutputs];
                if (node.Retained is not null && captures is null)
                    for (int k = 0; k < grads.Length; k++)
                        if (node.Retained[k] is { } t && grads[k] is { } g) t.Grad = t.Grad is null ? g.Clone() : t.Grad + g;
                if (nodeCapture is not null)
                    for (int k = 0; k < grads.Length; k++)
                        if (grads[k] is { } g && nodeCapture.TryGetValue((node, k), out int ci)) captured![ci] = g;

                bool[]? mask = needed?[node];
                bool any = false;
                foreach (var g in grads) any |= g is not null;
                if (mask is not null && any) { any = false; foreach (bool m in mask) any |= m; }
                Tensor?[] inputGrads;
                if (any)
                {
                    node.NeededInputs = mask;
                    _running = node;
                    try { inputGrads = node.Backward(grads); }
                    finally { node.NeededInputs = null; _running = previous; }
                }
                else inputGrads = new Tensor?[node.Inputs.Length];
                if (!retainGraph) node.Release();
                if (inputGrads.Length != node.Inputs.Length)
                    throw new InvalidOperationException($"Backward of '{node.Name}' returned {inputGrads.Length} gradients for {node.Inputs.Length} inputs.");

                for (int i = 0; i < node.Inputs.Length; i++)
                {
                    var input = node.Inputs[i];
                    var gi = inputGrads[i];
                    if (!input.RequiresGrad || (mask is not null && !mask[i])) continue;
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
        }
        finally { _running = previous; }
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

    /// <summary>
    /// For each node that leads to a captured tensor, which of its inputs do (a captured leaf, a captured non-leaf
    /// output, or an input whose producer leads to one). Nodes absent from the result are skipped.
    /// </summary>
    private static Dictionary<Node, bool[]> Prune(List<Node> order, Dictionary<Tensor, int> leafCapture, Dictionary<(Node, int), int> nodeCapture)
    {
        // Reverse discovery order is not a topological order in general, so iterate to a fixed point over a memo
        // computed depth-first (post-order) instead.
        var leads = new Dictionary<Node, bool>(ReferenceEqualityComparer.Instance);
        var result = new Dictionary<Node, bool[]>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Node Node, bool Expanded)>();
        foreach (var root in order)
        {
            if (leads.ContainsKey(root)) continue;
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                var (n, expanded) = stack.Pop();
                if (leads.ContainsKey(n)) continue;
                if (!expanded)
                {
                    stack.Push((n, true));
                    foreach (var input in n.Inputs)
                        if (input.GradFn is { } p && input.RequiresGrad && !leads.ContainsKey(p)) stack.Push((p, false));
                    continue;
                }
                var mask = new bool[n.Inputs.Length];
                bool any = false;
                for (int i = 0; i < mask.Length; i++)
                {
                    var input = n.Inputs[i];
                    if (!input.RequiresGrad) continue;
                    mask[i] = input.GradFn is { } p
                        ? (leads.TryGetValue(p, out bool l) && l) || nodeCapture.ContainsKey((p, input.OutputIndex))
                        : leafCapture.ContainsKey(input);
                    any |= mask[i];
                }
                leads[n] = any;
                if (any) result[n] = mask;
            }
        }
        // A captured non-leaf's own node must run up to the capture even when nothing above it is needed.
        foreach (var (node, _) in nodeCapture.Keys)
            if (!result.ContainsKey(node) && leads.ContainsKey(node)) result[node] = new bool[node.Inputs.Length];
        return result;
    }

    private static void Accumulate(Dictionary<Node, Tensor?[]> buffers, Node node, int index, Tensor g)
    {
        if (!buffers.TryGetValue(node, out var buf)) buffers[node] = buf = new Tensor?[node.NumOutputs];
        buf[index] = buf[index] is null ? g : buf[index]! + g;
    }
}
