using System.Reflection;

namespace ResearchKit.Tensors.Nn;

// Module surgery: look up and replace submodules by dotted path or by type (torch's get_submodule / set_submodule),
// e.g. to swap every Conv2d for a quantized one before quantization-aware training.
public abstract partial class Module
{
    /// <summary>
    /// The submodule at dotted <paramref name="path"/> (<c>get_submodule</c>), e.g. <c>"layer1.0.conv1"</c>; <c>""</c> is this module.
    /// </summary>
    /// <exception cref="ArgumentException">A segment names no child; the message lists the children at that level.</exception>
    public Module GetSubmodule(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0) return this;
        var (parent, index) = Locate(path, strict: true);
        return parent._children[index].Value;
    }

    /// <summary>The submodule at <paramref name="path"/> as a <typeparamref name="T"/>, e.g. <c>GetSubmodule&lt;Module&lt;Tensor, Tensor&gt;&gt;("layer3")</c> to hook it.</summary>
    /// <exception cref="ArgumentException">The path names no submodule, or the submodule is not a <typeparamref name="T"/>.</exception>
    public T GetSubmodule<T>(string path) where T : Module
    {
        var m = GetSubmodule(path);
        return m as T ?? throw new ArgumentException(
            $"{GetType().Name}.GetSubmodule: '{path}' is a {m.GetType().Name}, not a {TypeName(typeof(T))}.", nameof(path));
    }

    /// <summary>
    /// Replaces the submodule at dotted <paramref name="path"/> by <paramref name="module"/>, registered under the same name,
    /// so state-dict keys stay the same when the replacement has the same parameters (<c>layer1.0.conv1.weight</c>).
    /// </summary>
    /// <param name="path">Dotted path of an existing submodule, e.g. <c>"layer1.0.conv1"</c>.</param>
    /// <param name="module">The new module; it must be of the type the parent registered the child as (its <c>Forward</c> uses that type).</param>
    /// <returns>The module that was replaced.</returns>
    /// <exception cref="ArgumentException">The path names no submodule (the children at the failing level are listed), or is empty.</exception>
    /// <exception cref="InvalidOperationException">The replacement has the wrong type, would create a cycle, or the parent keeps
    /// the old child in a field (its <c>Forward</c> would keep calling the old module).</exception>
    public Module Replace(string path, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (parent, index) = LocateForReplace(path, strict: true);
        var old = parent._children[index].Value;
        parent.CheckReplacement(index, module, path);
        parent.SetChildAt(index, module);
        return old;
    }

    /// <summary>
    /// Sets the submodule at dotted <paramref name="path"/> (<c>set_submodule</c>): replaces an existing child like
    /// <see cref="Replace(string, Module)"/>; when <paramref name="strict"/> is false and the last segment names no child,
    /// registers <paramref name="module"/> as a new child of the parent (it then takes part in the state dict, but the
    /// parent's <c>Forward</c> does not call it).
    /// </summary>
    /// <exception cref="ArgumentException">A segment other than the last names no child, or <paramref name="strict"/> and the last does not.</exception>
    /// <exception cref="InvalidOperationException">See <see cref="Replace(string, Module)"/>.</exception>
    public void SetSubmodule(string path, Module module, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (parent, index) = LocateForReplace(path, strict);
        if (index >= 0)
        {
            parent.CheckReplacement(index, module, path);
            parent.SetChildAt(index, module);
            return;
        }
        string name = path[(path.LastIndexOf('.') + 1)..];
        parent.CheckNoCycle(module, path);
        parent.RegisterModule(name, module);
    }

    /// <summary>
    /// Replaces every descendant of type <typeparamref name="T"/> by <paramref name="factory"/>'s result, registered under the
    /// same name (e.g. <c>model.Replace&lt;Conv2d&gt;(c =&gt; QuantConv2d.From(c))</c>). Replacements are not searched
    /// (a wrapper may hold the old module), nor are the insides of a replaced module; a module registered at several paths
    /// is passed to the factory once and its replacement is shared the same way. All replacements are checked before any
    /// is made, so on error the model is unchanged.
    /// </summary>
    /// <param name="factory">Builds the replacement of one module; returning the module itself keeps it.</param>
    /// <param name="where">Optional filter on (path, module), e.g. to keep the first convolution in full precision.</param>
    /// <returns>The dotted paths that were replaced, in module order.</returns>
    /// <exception cref="InvalidOperationException">A replacement has the wrong type for its parent, would create a cycle, or a
    /// parent keeps the old child in a field.</exception>
    public IReadOnlyList<string> Replace<T>(Func<T, Module> factory, Func<string, T, bool>? where = null) where T : Module
    {
        ArgumentNullException.ThrowIfNull(factory);
        var plan = new List<(Module Parent, int Index, string Path, Module New)>();
        var made = new Dictionary<Module, Module>(ReferenceEqualityComparer.Instance);
        Collect(this, "");
        foreach (var (parent, index, path, repl) in plan) parent.CheckReplacement(index, repl, path);
        foreach (var (parent, index, _, repl) in plan) parent.SetChildAt(index, repl);
        return plan.Select(p => p.Path).ToList();

        void Collect(Module parent, string prefix)
        {
            for (int i = 0; i < parent._children.Count; i++)
            {
                var child = parent._children[i].Value;
                string path = Join(prefix, parent._children[i].Name);
                if (child is T t && (where is null || where(path, t)))
                {
                    if (!made.TryGetValue(child, out var repl))
                    {
                        repl = factory(t) ?? throw new InvalidOperationException(
                            $"{GetType().Name}.Replace<{typeof(T).Name}>: the factory returned null for '{path}'; return the module itself to keep it.");
                        made[child] = repl;
                    }
                    if (!ReferenceEquals(repl, child)) plan.Add((parent, i, path, repl));
                }
                else Collect(child, path);
            }
        }
    }

    private void SetChildAt(int index, Module module)
    {
        var (name, _, declared) = _children[index];
        _children[index] = (name, module, declared);
    }

    private (Module Parent, int Index) LocateForReplace(string path, bool strict)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
            throw new ArgumentException($"{GetType().Name}: cannot replace the module itself (empty path); replace it where it is held, or use the new module directly.", nameof(path));
        return Locate(path, strict);
    }

    // Walks all segments but the last, then finds the last among the parent's children (index -1 when absent and !strict).
    private (Module Parent, int Index) Locate(string path, bool strict)
    {
        var parts = path.Split('.');
        Module m = this;
        for (int k = 0; k < parts.Length; k++)
        {
            int idx = m.IndexOfChild(parts[k]);
            if (idx < 0)
            {
                if (k == parts.Length - 1 && !strict) return (m, -1);
                string at = string.Join('.', parts[..k]);
                string where = at.Length == 0 ? GetType().Name : $"'{at}' ({m.GetType().Name})";
                string what = m._parameters.Any(p => p.Name == parts[k]) ? " (it is a parameter, not a submodule)"
                    : m._buffers.Any(b => b.Name == parts[k]) ? " (it is a buffer, not a submodule)" : "";
                throw new ArgumentException(
                    $"{GetType().Name}: no submodule '{path}': {where} has no child '{parts[k]}'{what}; its children are: {m.ChildList()}.", nameof(path));
            }
            if (k == parts.Length - 1) return (m, idx);
            m = m._children[idx].Value;
        }
        throw new InvalidOperationException("unreachable");
    }

    private int IndexOfChild(string name)
    {
        for (int i = 0; i < _children.Count; i++)
            if (string.Equals(_children[i].Name, name, StringComparison.Ordinal)) return i;
        return -1;
    }

    // Catches, before anything changes, replacements the parent's Forward could not use or would not see.
    private void CheckReplacement(int index, Module module, string path)
    {
        var (_, old, declared) = _children[index];
        if (!declared.IsInstanceOfType(module))
            throw new InvalidOperationException(
                $"Cannot replace '{path}' by a {module.GetType().Name}: {GetType().Name} registered it as {TypeName(declared)} and calls it as one. " +
                $"Use a module of that type (e.g. a subclass of {old.GetType().Name}), or have {GetType().Name} register the child as Module<Tensor, Tensor>.");
        CheckNoCycle(module, path);
        // A parent that kept the old child in a field would keep calling it: refuse rather than silently run the old module.
        for (var t = GetType(); t is not null && t != typeof(Module); t = t.BaseType)
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (!f.FieldType.IsValueType && ReferenceEquals(f.GetValue(this), old))
                {
                    string member = f.Name.StartsWith('<') ? $"property {f.Name[1..f.Name.IndexOf('>')]}" : $"field {f.Name}";
                    throw new InvalidOperationException(
                        $"Cannot replace '{path}': {GetType().Name} keeps the old module in its {member}, so its Forward would keep calling it. " +
                        $"Make {member} read the registered child instead (e.g. => Child<Module<Tensor, Tensor>>(\"{_children[index].Name}\")).");
                }
    }

    private void CheckNoCycle(Module module, string path)
    {
        foreach (var m in module.Modules())
            if (ReferenceEquals(m, this))
                throw new InvalidOperationException($"Cannot put a {module.GetType().Name} at '{path}': it contains that position's parent {GetType().Name}, which would make a cycle.");
    }

    private static string TypeName(Type t) => !t.IsGenericType ? t.Name
        : $"{t.Name[..t.Name.IndexOf('`')]}<{string.Join(", ", t.GetGenericArguments().Select(TypeName))}>";
}
