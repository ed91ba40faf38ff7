using System.Globalization;

namespace ResearchKit.Tensors.Optim;

/// <summary>
/// A parameter group (one entry of PyTorch's <c>optimizer.param_groups</c>): parameters plus their own
/// hyper-parameters. Options the group does not set are filled with the optimizer's defaults when the group is added.
/// </summary>
/// <remarks>
/// Options are doubles keyed by PyTorch's names: <c>lr</c>, <c>initial_lr</c> (set by schedulers),
/// <c>momentum</c>, <c>dampening</c>, <c>weight_decay</c>, <c>eps</c>, <c>alpha</c>, <c>beta1</c>/<c>beta2</c>
/// (PyTorch's <c>betas</c> tuple), and flags stored as 0/1 (<c>nesterov</c>, <c>maximize</c>, <c>amsgrad</c>,
/// <c>centered</c>). Schedules may change <see cref="Lr"/> between steps, as in PyTorch.
/// Example: <c>new ParamGroup(head.Parameters(), lr: 1e-2).Set("weight_decay", 0)</c>.
/// </remarks>
public sealed class ParamGroup
{
    private readonly List<Tensor> _params;
    private readonly Dictionary<string, double> _options = new(StringComparer.Ordinal);

    /// <summary>Creates a group; <paramref name="lr"/> null means "use the optimizer's default".</summary>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null or contains null.</exception>
    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _params = new List<Tensor>(parameters);
        for (int i = 0; i < _params.Count; i++)
            if (_params[i] is null) throw new ArgumentNullException(nameof(parameters), $"ParamGroup: parameter {i} is null; pass only tensors.");
        if (lr is double v) _options["lr"] = v;
    }

    /// <summary>The group's parameters, in order (<c>group['params']</c>).</summary>
    public IReadOnlyList<Tensor> Params => _params;

    /// <summary>All options of the group (defaults included once the group belongs to an optimizer).</summary>
    public IReadOnlyDictionary<string, double> Options => _options;

    /// <summary>An option by PyTorch name (flags are 0 or 1).</summary>
    /// <exception cref="KeyNotFoundException">The option is not set (and no optimizer has filled defaults yet).</exception>
    public double this[string option]
    {
        get => _options.TryGetValue(option, out var v) ? v
            : throw new KeyNotFoundException($"ParamGroup: option '{option}' is not set; set it with group[\"{option}\"] = value, or add the group to an optimizer to fill defaults. Set options: {string.Join(", ", _options.Keys)}.");
        set => _options[option] = value;
    }

    /// <summary>Learning rate (<c>group['lr']</c>); schedulers write it.</summary>
    public double Lr { get => this["lr"]; set => _options["lr"] = value; }

    /// <summary>The learning rate a scheduler started from (<c>group['initial_lr']</c>); null until a scheduler is attached.</summary>
    public double? InitialLr
    {
        get => _options.TryGetValue("initial_lr", out var v) ? v : null;
        set { if (value is double v) _options["initial_lr"] = v; else _options.Remove("initial_lr"); }
    }

    /// <summary>Weight decay (<c>group['weight_decay']</c>).</summary>
    public double WeightDecay { get => this["weight_decay"]; set => _options["weight_decay"] = value; }

    /// <summary>Momentum factor (SGD, RMSprop).</summary>
    public double Momentum { get => this["momentum"]; set => _options["momentum"] = value; }

    /// <summary>Adam's <c>betas</c> tuple, stored as options <c>beta1</c> and <c>beta2</c>.</summary>
    public (double Beta1, double Beta2) Betas
    {
        get => (this["beta1"], this["beta2"]);
        set { _options["beta1"] = value.Beta1; _options["beta2"] = value.Beta2; }
    }

    /// <summary>True when the option is set.</summary>
    public bool Has(string option) => _options.ContainsKey(option);

    /// <summary>A flag option (nonzero = true).</summary>
    public bool Flag(string option) => this[option] != 0;

    /// <summary>Sets an option and returns this group (fluent).</summary>
    public ParamGroup Set(string option, double value) { _options[option] = value; return this; }

    /// <summary>Sets a flag option (stored as 0/1) and returns this group.</summary>
    public ParamGroup Set(string option, bool value) { _options[option] = value ? 1 : 0; return this; }

    /// <summary>Sets the option only when absent (<c>dict.setdefault</c>).</summary>
    internal void SetDefault(string option, double value) => _options.TryAdd(option, value);

    /// <summary>Like PyTorch's repr: the options and the number of parameters.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        foreach (var kv in _options) parts.Add(kv.Key + "=" + kv.Value.ToString("R", CultureInfo.InvariantCulture));
        return $"ParamGroup({_params.Count} params, {string.Join(", ", parts)})";
    }
}
