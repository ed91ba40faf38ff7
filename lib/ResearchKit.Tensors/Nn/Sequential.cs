namespace ResearchKit.Tensors.Nn;

/// <summary>Applies child modules in order (<c>nn.Sequential</c>); children are named "0", "1", …</summary>
/// <remarks>Layers are read from the registry on every call, so <see cref="Module.Replace(string, Module)"/> takes effect.</remarks>
public sealed class Sequential : Module<Tensor, Tensor>
{
    /// <summary>Creates the container from layers in order.</summary>
    public Sequential(params Module<Tensor, Tensor>[] layers)
    {
        foreach (var l in layers) Append(l);
    }

    /// <summary>Appends a layer named by its position.</summary>
    public Sequential Append(Module<Tensor, Tensor> layer)
    {
        RegisterModule(ChildCount.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        return this;
    }

    /// <summary>Number of layers.</summary>
    public int Count => ChildCount;

    /// <summary>Layer at <paramref name="index"/>.</summary>
    public Module<Tensor, Tensor> this[int index] => (Module<Tensor, Tensor>)ChildAt(index);

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        for (int i = 0; i < ChildCount; i++) input = ((Module<Tensor, Tensor>)ChildAt(i)).Forward(input);
        return input;
    }
}

/// <summary>Holds modules in a list so their parameters are registered (<c>nn.ModuleList</c>).</summary>
/// <typeparam name="T">Module type.</typeparam>
/// <remarks>Items are read from the registry, so <see cref="Module.Replace(string, Module)"/> takes effect.</remarks>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    /// <summary>Creates the list from modules.</summary>
    public ModuleList(params T[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    /// <summary>Appends a module named by its position.</summary>
    public void Add(T module)
    {
        RegisterModule(ChildCount.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
    }

    /// <inheritdoc/>
    public T this[int index] => (T)ChildAt(index);
    /// <inheritdoc/>
    public int Count => ChildCount;
    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < ChildCount; i++) yield return (T)ChildAt(i);
    }
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
