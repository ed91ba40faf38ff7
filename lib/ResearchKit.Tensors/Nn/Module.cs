using System.Text;

namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Base class of all layers and models (<c>torch.nn.Module</c>): named parameters, buffers and child modules in
/// registration order, train/eval mode, and state dicts with PyTorch's dotted names (<c>layer1.0.conv1.weight</c>).
/// </summary>
/// <remarks>
/// Register in the constructor in the same order as the PyTorch module does, so state-dict keys and
/// <see cref="Parameters"/> order match and <c>.safetensors</c> weights move between the two.
/// </remarks>
public abstract partial class Module
{
    private readonly List<(string Name, Tensor? Value)> _parameters = new();
    private readonly List<(string Name, Tensor? Value, bool Persistent)> _buffers = new();
    // Declared: the type the parent registered the child as (the type its Forward uses); a replacement must be one.
    private readonly List<(string Name, Module Value, Type Declared)> _children = new();

    /// <summary>True in training mode (dropout active, batch norm uses batch statistics).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a parameter (made a leaf that requires grad) under <paramref name="name"/>; null registers an absent one (e.g. no bias).</summary>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is taken.</exception>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        value.RequiresGrad = true;
        value.Name ??= name;
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers an absent optional parameter (shown in PyTorch as <c>None</c>; not in the state dict).</summary>
    protected void RegisterParameter(string name)
    {
        CheckName(name);
        _parameters.Add((name, null));
    }

    /// <summary>Registers a buffer: state that is saved but not trained (running means, masks).</summary>
    protected Tensor RegisterBuffer(string name, Tensor value, bool persistent = true)
    {
        CheckName(name);
        value.Name ??= name;
        _buffers.Add((name, value, persistent));
        return value;
    }

    /// <summary>Registers a child module under <paramref name="name"/>.</summary>
    /// <remarks>
    /// <typeparamref name="T"/> is the type the parent uses the child as: <see cref="Replace(string, Module)"/> accepts only
    /// replacements of that type. Register as <c>Module&lt;Tensor, Tensor&gt;</c> and read the child back with
    /// <see cref="Child{T}"/> in <c>Forward</c> (not from a field), so that a replaced child is the one that runs.
    /// </remarks>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is taken.</exception>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        _children.Add((name, module, typeof(T)));
        return module;
    }

    /// <summary>
    /// The child currently registered under <paramref name="name"/> (after any <see cref="Replace(string, Module)"/>);
    /// models read their children through this so replacements take effect in <c>Forward</c>.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No child has that name (the children are listed).</exception>
    /// <exception cref="InvalidCastException">The child is not a <typeparamref name="T"/>.</exception>
    protected T Child<T>(string name) where T : Module
    {
        foreach (var c in _children)
            if (string.Equals(c.Name, name, StringComparison.Ordinal))
                return c.Value as T ?? throw new InvalidCastException(
                    $"{GetType().Name}: child '{name}' is a {c.Value.GetType().Name}, not a {typeof(T).Name}; register it as {c.Declared.Name} and read it as that type.");
        throw new KeyNotFoundException($"{GetType().Name}: no child named '{name}'; children: {ChildList()}.");
    }

    /// <summary>The child at registration position <paramref name="index"/> (for the list containers).</summary>
    private protected Module ChildAt(int index) => _children[index].Value;

    /// <summary>Number of direct children.</summary>
    private protected int ChildCount => _children.Count;

    private string ChildList() => _children.Count == 0 ? "(none)" : string.Join(", ", _children.Select(c => c.Name));

    /// <summary>Replaces a registered parameter or buffer tensor (used by re-parametrizations such as pruning masks).</summary>
    /// <exception cref="KeyNotFoundException">No parameter or buffer has that name.</exception>
    protected void ReplaceTensor(string name, Tensor value)
    {
        for (int i = 0; i < _parameters.Count; i++)
            if (_parameters[i].Name == name) { _parameters[i] = (name, value); return; }
        for (int i = 0; i < _buffers.Count; i++)
            if (_buffers[i].Name == name) { _buffers[i] = (name, value, _buffers[i].Persistent); return; }
        throw new KeyNotFoundException($"{GetType().Name}: no parameter or buffer named '{name}'.");
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: invalid member name '{name}' (must be non-empty and contain no '.').");
        foreach (var p in _parameters) if (p.Name == name) Taken();
        foreach (var b in _buffers) if (b.Name == name) Taken();
        foreach (var c in _children) if (c.Name == name) Taken();
        void Taken() => throw new ArgumentException($"{GetType().Name}: the name '{name}' is already registered.");
    }

    // ───────────────────────────── traversal ─────────────────────────────

    /// <summary>Direct children with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        foreach (var c in _children) yield return (c.Name, c.Value);
    }

    /// <summary>Direct children.</summary>
    public IEnumerable<Module> Children()
    {
        foreach (var c in _children) yield return c.Value;
    }

    /// <summary>This module and all descendants, depth-first, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child, _) in _children)
            foreach (var m in child.NamedModules(prefix.Length == 0 ? name : prefix + "." + name))
                yield return m;
    }

    /// <summary>This module and all descendants.</summary>
    public IEnumerable<Module> Modules()
    {
        foreach (var (_, m) in NamedModules()) yield return m;
    }

    /// <summary>Parameters with dotted names, in registration order (<c>named_parameters()</c>).</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in recurse ? NamedModules() : [("", this)])
            foreach (var (name, p) in m._parameters)
                if (p is not null && seen.Add(p)) yield return (Join(prefix, name), p);
    }

    /// <summary>Parameters in registration order (<c>parameters()</c>); shared (tied) parameters appear once.</summary>
    public IEnumerable<Tensor> Parameters(bool recurse = true)
    {
        foreach (var (_, p) in NamedParameters(recurse)) yield return p;
    }

    /// <summary>Buffers with dotted names (<c>named_buffers()</c>).</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(bool recurse = true)
    {
        foreach (var (prefix, m) in recurse ? NamedModules() : [("", this)])
            foreach (var (name, b, _) in m._buffers)
                if (b is not null) yield return (Join(prefix, name), b);
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>Calls <paramref name="fn"/> on every descendant and then this module (<c>apply</c>), e.g. for custom init.</summary>
    public Module Apply(Action<Module> fn)
    {
        foreach (var (_, c, _) in _children) c.Apply(fn);
        fn(this);
        return this;
    }

    // ───────────────────────────── modes and gradients ─────────────────────────────

    /// <summary>Sets training mode on this module and its descendants (<c>train()</c>).</summary>
    public Module Train(bool mode = true)
    {
        foreach (var m in Modules()) m.Training = mode;
        return this;
    }

    /// <summary>Sets evaluation mode (<c>eval()</c>).</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Sets <see cref="Tensor.RequiresGrad"/> on every parameter of this module and its descendants (<c>requires_grad_()</c>):
    /// false freezes them (backward leaves their <see cref="Tensor.Grad"/> null, so optimizers skip them), true unfreezes.
    /// </summary>
    /// <returns>This module.</returns>
    public Module RequiresGrad_(bool requiresGrad = true)
    {
        foreach (var p in Parameters()) p.RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>Clears all parameter gradients (<c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    /// <summary>Number of scalar parameters (optionally only trainable ones).</summary>
    public long ParameterCount()
    {
        long n = 0;
        foreach (var p in Parameters()) n += p.Numel;
        return n;
    }

    // ───────────────────────────── state dict ─────────────────────────────

    /// <summary>
    /// Parameters and persistent buffers by dotted PyTorch name, in PyTorch's order (per module: parameters, then buffers, then children).
    /// The tensors are the live ones; detach or clone them to snapshot.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        AddState(d, "");
        return d;
    }

    private void AddState(Dictionary<string, Tensor> d, string prefix)
    {
        foreach (var (name, p) in _parameters) if (p is not null) d[prefix + name] = p;
        foreach (var (name, b, persistent) in _buffers) if (b is not null && persistent) d[prefix + name] = b;
        foreach (var (name, c, _) in _children) c.AddState(d, prefix + name + ".");
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into this module's tensors in place (references held by optimizers stay valid).
    /// </summary>
    /// <param name="stateDict">Tensors by dotted name, e.g. read from a <c>.safetensors</c> file.</param>
    /// <param name="strict">Throw when keys are missing or unexpected (PyTorch's default).</param>
    /// <returns>The missing and unexpected keys (both empty when strict loading succeeds).</returns>
    /// <exception cref="ArgumentException">Strict loading found missing/unexpected keys (all are listed), or a shape differs.</exception>
    public (List<string> Missing, List<string> Unexpected) LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        var own = StateDict();
        var missing = new List<string>();
        var unexpected = new List<string>();
        foreach (var k in own.Keys) if (!stateDict.ContainsKey(k)) missing.Add(k);
        foreach (var k in stateDict.Keys) if (!own.ContainsKey(k)) unexpected.Add(k);
        var errors = new List<string>();
        if (strict && missing.Count > 0) errors.Add($"Missing key(s): {string.Join(", ", missing)}.");
        if (strict && unexpected.Count > 0) errors.Add($"Unexpected key(s): {string.Join(", ", unexpected)}.");
        foreach (var (k, dst) in own)
            if (stateDict.TryGetValue(k, out var src) && !ShapeUtil.SameShape(src._shape, dst._shape))
                errors.Add($"Size mismatch for {k}: the checkpoint has shape {src.Shape}, the model expects {dst.Shape}.");
        if (errors.Count > 0)
            throw new ArgumentException($"Error(s) in loading state dict for {GetType().Name}:\n  " + string.Join("\n  ", errors));
        using (Torch.NoGrad())
            foreach (var (k, dst) in own)
                if (stateDict.TryGetValue(k, out var src)) dst.CopyFrom(src);
        return (missing, unexpected);
    }

    // ───────────────────────────── printing ─────────────────────────────

    /// <summary>Constructor settings shown inside the parentheses of <see cref="ToString"/> (only non-defaults).</summary>
    public virtual string ExtraRepr() => "";

    /// <summary>PyTorch-style tree: <c>Linear(in_features=784, out_features=10, bias=True)</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Print(sb, 0);
        return sb.ToString();
    }

    private void Print(StringBuilder sb, int indent)
    {
        sb.Append(GetType().Name).Append('(');
        string extra = ExtraRepr();
        if (_children.Count == 0) { sb.Append(extra).Append(')'); return; }
        if (extra.Length > 0) sb.Append('\n').Append(' ', indent + 2).Append(extra);
        foreach (var (name, c, _) in _children)
        {
            sb.Append('\n').Append(' ', indent + 2).Append('(').Append(name).Append("): ");
            c.Print(sb, indent + 2);
        }
        sb.Append('\n').Append(' ', indent).Append(')');
    }
}

/// <summary>A module with a single-input, single-output <see cref="Forward"/>.</summary>
/// <typeparam name="TIn">Input type, usually <see cref="Tensor"/>.</typeparam>
/// <typeparam name="TOut">Output type.</typeparam>
/// <remarks>
/// As in PyTorch, where you implement <c>forward</c> and call the module: subclasses implement <see cref="ForwardCore"/>,
/// callers call <see cref="Forward"/>, which runs the forward hooks around it (<see cref="RegisterForwardPreHook(Func{Module{TIn, TOut}, TIn, TIn})"/>,
/// <see cref="RegisterForwardHook(Func{Module{TIn, TOut}, TIn, TOut, TOut})"/>). Inside a model, call children through
/// <see cref="Forward"/> too, so their hooks run. Overloads with more arguments (an LSTM's initial state, a loss's target)
/// call the computation directly and do not run the hooks. With no hooks registered, <see cref="Forward"/> costs one
/// extra check.
/// </remarks>
public abstract class Module<TIn, TOut> : Module
{
    // Copy-on-write arrays: Forward reads them without locking or allocation, and a hook may remove itself while running.
    private (long Id, Func<Module<TIn, TOut>, TIn, TIn> Hook)[]? _preHooks;
    private (long Id, Func<Module<TIn, TOut>, TIn, TOut, TOut> Hook)[]? _postHooks;
    private long _nextHookId;

    /// <summary>Computes the output: runs the pre-hooks, <see cref="ForwardCore"/>, then the post-hooks (PyTorch's <c>module(x)</c>).</summary>
    public TOut Forward(TIn input)
    {
        TOut output;
        Memory.StoragePool.Enter();
        try { output = _preHooks is null && _postHooks is null ? ForwardCore(input) : ForwardWithHooks(input); }
        finally { Memory.StoragePool.Exit(); }
        // An outermost forward without a graph is a whole inference step: its temporaries can be lent again.
        if (!GradMode.IsEnabled) Memory.StoragePool.SafePoint(endOfStep: true);
        return output;
    }

    /// <summary>Whether forward hooks or pre-hooks are registered: a caller that would bypass <see cref="Forward"/> (to fuse this
    /// module with a neighbour) must not when they are.</summary>
    public bool HasForwardHooks => _preHooks is not null || _postHooks is not null;

    /// <summary>The module's computation (PyTorch's <c>forward</c>); override this, call <see cref="Forward"/>.</summary>
    protected abstract TOut ForwardCore(TIn input);

    private TOut ForwardWithHooks(TIn input)
    {
        if (_preHooks is { } pre)
            foreach (var (_, hook) in pre) input = hook(this, input);
        var output = ForwardCore(input);
        if (_postHooks is { } post)
            foreach (var (_, hook) in post) output = hook(this, input, output);
        return output;
    }

    /// <summary>
    /// Registers a hook run before every <see cref="Forward"/> (<c>register_forward_pre_hook</c>); it receives the module and
    /// the input and returns the input to use (return it unchanged to only observe). Hooks run in registration order,
    /// each on the previous one's result.
    /// </summary>
    /// <returns>A handle; <see cref="RemovableHandle.Remove"/> or <c>Dispose</c> unregisters the hook.</returns>
    public RemovableHandle RegisterForwardPreHook(Func<Module<TIn, TOut>, TIn, TIn> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        long id = ++_nextHookId;
        _preHooks = [.. _preHooks ?? [], (id, hook)];
        return new RemovableHandle(() =>
        {
            var rest = _preHooks?.Where(h => h.Id != id).ToArray();
            _preHooks = rest is { Length: > 0 } ? rest : null;
        });
    }

    /// <summary>Registers an observing pre-hook (it cannot change the input), e.g. to record input shapes.</summary>
    /// <returns>A handle that unregisters the hook.</returns>
    public RemovableHandle RegisterForwardPreHook(Action<Module<TIn, TOut>, TIn> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardPreHook((m, x) => { hook(m, x); return x; });
    }

    /// <summary>
    /// Registers a hook run after every <see cref="Forward"/> (<c>register_forward_hook</c>); it receives the module, the input
    /// (after the pre-hooks) and the output, and returns the output to use. Hooks run in registration order.
    /// </summary>
    /// <returns>A handle; <see cref="RemovableHandle.Remove"/> or <c>Dispose</c> unregisters the hook.</returns>
    public RemovableHandle RegisterForwardHook(Func<Module<TIn, TOut>, TIn, TOut, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        long id = ++_nextHookId;
        _postHooks = [.. _postHooks ?? [], (id, hook)];
        return new RemovableHandle(() =>
        {
            var rest = _postHooks?.Where(h => h.Id != id).ToArray();
            _postHooks = rest is { Length: > 0 } ? rest : null;
        });
    }

    /// <summary>Registers an observing post-hook, e.g. to capture activations (<c>(m, x, y) =&gt; captured.Add(y.Detach())</c>).</summary>
    /// <returns>A handle that unregisters the hook.</returns>
    public RemovableHandle RegisterForwardHook(Action<Module<TIn, TOut>, TIn, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardHook((m, x, y) => { hook(m, x, y); return y; });
    }
}

/// <summary>
/// Unregisters a hook (PyTorch's <c>RemovableHandle</c>); use it in a <c>using</c> block to hook only a region of code.
/// Removing twice is harmless.
/// </summary>
public sealed class RemovableHandle : IDisposable
{
    private Action? _remove;

    internal RemovableHandle(Action remove) => _remove = remove;

    /// <summary>Unregisters the hook (<c>handle.remove()</c>).</summary>
    public void Remove() => Interlocked.Exchange(ref _remove, null)?.Invoke();

    /// <summary>Same as <see cref="Remove"/>.</summary>
    public void Dispose() => Remove();
}
