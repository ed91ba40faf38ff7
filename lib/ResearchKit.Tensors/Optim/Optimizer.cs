using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ResearchKit.Tensors.Optim;

/// <summary>
/// Base class of optimizers (<c>torch.optim.Optimizer</c>): parameter groups with per-group hyper-parameters,
/// per-parameter state, <see cref="Step()"/>, <see cref="ZeroGrad"/> and state dicts that round-trip bit-identically.
/// </summary>
/// <remarks>
/// Parameters must be contiguous Float32 leaves (module parameters are). A step skips parameters whose
/// <see cref="Tensor.Grad"/> is null and runs under <see cref="Torch.NoGrad"/>. Updates are span kernels over the
/// parameter storage; state buffers are allocated on a parameter's first step, so later steps do not allocate.
/// </remarks>
public abstract class Optimizer
{
    private static readonly string[] FlagOptions = ["nesterov", "maximize", "amsgrad", "centered"];

    private readonly List<ParamGroup> _groups = new();
    private readonly Dictionary<Tensor, ParamState> _state = new(ReferenceEqualityComparer.Instance);
    private readonly List<KeyValuePair<string, double>> _defaults;

    /// <summary>Creates the optimizer and adds <paramref name="groups"/>, filling unset options from <paramref name="defaults"/>.</summary>
    /// <param name="groups">Parameter groups (at least one parameter overall).</param>
    /// <param name="defaults">Option names and default values, in PyTorch's order (used for the state-dict JSON).</param>
    /// <exception cref="ArgumentException">No parameters, a parameter appears twice, or a parameter is not a contiguous Float32 leaf.</exception>
    protected Optimizer(IEnumerable<ParamGroup> groups, IReadOnlyList<KeyValuePair<string, double>> defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _defaults = new List<KeyValuePair<string, double>>(defaults);
        var list = new List<ParamGroup>(groups);
        int count = 0;
        foreach (var g in list) count += g?.Params.Count ?? 0;
        if (list.Count == 0 || count == 0) throw new ArgumentException($"{Name}: optimizer got an empty parameter list; pass model.Parameters() (or groups that hold parameters).");
        foreach (var g in list) AddParamGroup(g);
    }

    /// <summary>Wraps a flat parameter list in one group.</summary>
    protected static IEnumerable<ParamGroup> SingleGroup(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return [new ParamGroup(parameters)];
    }

    /// <summary>The optimizer's name in messages (the class name).</summary>
    protected string Name => GetType().Name;

    /// <summary>Parameter groups (<c>optimizer.param_groups</c>); change <see cref="ParamGroup.Lr"/> to schedule.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>Default options (<c>optimizer.defaults</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Defaults => _defaults;

    /// <summary>Names of the per-parameter state buffers this optimizer may create (for state-dict validation).</summary>
    protected abstract IReadOnlyList<string> StateNames { get; }

    /// <summary>The dtype of the saved step count (<c>state.{i}.step</c>), or null when the optimizer keeps no step (SGD).</summary>
    protected virtual DType? StepDType => DType.Float32;

    /// <summary>Checks a group's options (after defaults are filled); throws <see cref="ArgumentException"/> with PyTorch's message.</summary>
    protected abstract void ValidateGroup(ParamGroup group);

    /// <summary>Updates one parameter in place; <see cref="ParamState.Step"/> has already been incremented.</summary>
    /// <param name="group">The parameter's group (hyper-parameters).</param>
    /// <param name="parameter">The parameter (contiguous Float32 leaf).</param>
    /// <param name="grad">Its gradient, same length as the parameter.</param>
    /// <param name="state">Its state (buffers created on demand, once).</param>
    protected abstract void Update(ParamGroup group, Tensor parameter, ReadOnlySpan<float> grad, ParamState state);

    /// <summary>
    /// <see cref="Update"/> for a parameter on a device (its contiguous gradient there too); state buffers live on that device.
    /// By default: refused, naming the optimizer and the device.
    /// </summary>
    /// <exception cref="NotSupportedException">This optimizer has no kernel on the parameter's device.</exception>
    protected virtual void UpdateOnDevice(ParamGroup group, Tensor parameter, Tensor grad, ParamState state) =>
        throw new NotSupportedException($"{Name} has no kernel on device '{parameter.Device}' yet; SGD, Adam, AdamW and RMSprop have. Keep the model on the CPU for {Name}, or use one of those.");

    /// <summary>Refuses a device parameter that is a view into a larger storage (the update kernels run over whole storages).</summary>
    internal static void RequireWholeStorage(string name, Tensor parameter)
    {
        if (parameter._offset != 0 || parameter._dev!.Length != parameter.Numel)
            throw new NotSupportedException($"{name}: a parameter that is a view into a larger device storage has no kernel yet; optimize whole tensors (Module.To moves them so).");
    }

    /// <summary>Adds a group (<c>optimizer.add_param_group</c>), filling its unset options with the defaults.</summary>
    /// <exception cref="ArgumentException">A parameter is already optimized, appears twice, is not a contiguous Float32 leaf, or an option is invalid or unknown.</exception>
    public void AddParamGroup(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in group.Params)
        {
            if (p.DType != DType.Float32) throw new ArgumentException($"{Name}: can only optimize Float32 tensors, got an Int64 tensor of shape {p.Shape}{NameOf(p)}.");
            if (!p.IsLeaf) throw new ArgumentException($"{Name}: can't optimize a non-leaf Tensor (shape {p.Shape}{NameOf(p)}, produced by '{p.GradFn!.Name}'); optimize the leaf it was computed from, or call Detach().RequiresGrad_().");
            if (!p.IsContiguous) throw new ArgumentException($"{Name}: parameter of shape {p.Shape}{NameOf(p)} is not contiguous; optimizers update the storage in place, so pass a contiguous leaf (e.g. x.Contiguous().Detach().RequiresGrad_()).");
            if (!seen.Add(p)) throw new ArgumentException($"{Name}: a parameter group contains the same parameter twice (shape {p.Shape}{NameOf(p)}); list each parameter once.");
            foreach (var other in _groups)
                foreach (var q in other.Params)
                    if (ReferenceEquals(p, q)) throw new ArgumentException($"{Name}: some parameters appear in more than one parameter group (shape {p.Shape}{NameOf(p)}); each parameter may belong to one group only.");
        }
        foreach (var key in group.Options.Keys)
        {
            if (key is "lr" or "initial_lr") continue;
            bool known = false;
            foreach (var d in _defaults) known |= d.Key == key;
            if (!known) throw new ArgumentException($"{Name}: unknown option '{key}' in a parameter group; known options: {string.Join(", ", DefaultKeys())}.");
        }
        foreach (var d in _defaults) group.SetDefault(d.Key, d.Value);
        ValidateGroup(group);
        _groups.Add(group);
    }

    private static string NameOf(Tensor p) => p.Name is null ? "" : $" '{p.Name}'";

    private IEnumerable<string> DefaultKeys() { foreach (var d in _defaults) yield return d.Key; }

    /// <summary>The state of a parameter (<c>optimizer.state[p]</c>), or null before its first step.</summary>
    public ParamState? GetState(Tensor parameter) => _state.TryGetValue(parameter, out var s) ? s : null;

    /// <summary>Clears the gradients of all parameters (<c>optimizer.zero_grad()</c>).</summary>
    /// <param name="setToNone">True (default) sets <see cref="Tensor.Grad"/> to null; false zeroes it in place (PyTorch 1.13's default).</param>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var g in _groups)
            foreach (var p in g.Params)
            {
                if (p.Grad is null) continue;
                if (setToNone) p.Grad = null;
                else using (Torch.NoGrad()) p.Grad.Zero_();
            }
    }

    /// <summary>Performs one optimization step (<c>optimizer.step()</c>) for every parameter that has a gradient.</summary>
    /// <exception cref="ArgumentException">A gradient's element count or dtype differs from its parameter's.</exception>
    public void Step()
    {
        Memory.StoragePool.Enter();
        try { StepCore(); }
        finally { Memory.StoragePool.Exit(); }
        Memory.StoragePool.SafePoint(endOfStep: true);
    }

    private void StepCore()
    {
        using (Torch.NoGrad())
        {
            for (int gi = 0; gi < _groups.Count; gi++)
            {
                var group = _groups[gi];
                var ps = group.Params;
                for (int i = 0; i < ps.Count; i++)
                {
                    var p = ps[i];
                    var grad = p.Grad;
                    if (grad is null) continue;
                    if (grad.DType != DType.Float32 || grad.Numel != p.Numel)
                        throw new ArgumentException($"{Name}.Step: the gradient of parameter {i} of group {gi}{NameOf(p)} has shape {grad.Shape} ({grad.DType}) but the parameter has shape {p.Shape}; gradients must match their parameters.");
                    if (!_state.TryGetValue(p, out var st)) { st = new ParamState(); _state.Add(p, st); }
                    st.Step++;
                    if (p._dev is not null || grad._dev is not null)
                    {
                        if (p.Device != grad.Device) throw Tensor.MixedDevices($"{Name}.Step (parameter {i} of group {gi}{NameOf(p)} and its gradient)", p, grad);
                        UpdateOnDevice(group, p, grad.Contiguous(), st);
                    }
                    else Update(group, p, grad.ReadSpan(), st);
                }
            }
        }
    }

    /// <summary>Re-evaluates the loss with <paramref name="closure"/> (grad enabled), then steps; returns the loss.</summary>
    public Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        Tensor loss;
        using (Torch.EnableGrad()) loss = closure();
        Step();
        return loss;
    }

    // ───────────────────────────── state dict ─────────────────────────────

    /// <summary>Snapshot of the optimizer (<c>optimizer.state_dict()</c>): copies of the state tensors and the groups as JSON.</summary>
    public OptimizerStateDict StateDict()
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        int index = 0;
        foreach (var g in _groups)
            foreach (var p in g.Params)
            {
                if (_state.TryGetValue(p, out var st))
                {
                    string prefix = "state." + index.ToString(CultureInfo.InvariantCulture) + ".";
                    if (StepDType is DType dt)
                        tensors[prefix + "step"] = dt == DType.Float32 ? Tensor.Scalar((float)st.Step) : Tensor.FromArray(new[] { st.Step }, Array.Empty<int>());
                    foreach (var b in st.Buffers) tensors[prefix + b.Key] = b.Value.Detach().Clone();
                }
                index++;
            }
        return new OptimizerStateDict(tensors, WriteGroups());
    }

    private string WriteGroups()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartArray();
            int index = 0;
            foreach (var g in _groups)
            {
                w.WriteStartObject();
                w.WriteNumber("lr", g.Lr);
                foreach (var d in _defaults)
                {
                    if (d.Key is "beta2" or "lr") continue;
                    if (d.Key == "beta1")
                    {
                        w.WriteStartArray("betas");
                        w.WriteNumberValue(g["beta1"]);
                        w.WriteNumberValue(g["beta2"]);
                        w.WriteEndArray();
                    }
                    else if (Array.IndexOf(FlagOptions, d.Key) >= 0) w.WriteBoolean(d.Key, g[d.Key] != 0);
                    else w.WriteNumber(d.Key, g[d.Key]);
                }
                if (g.InitialLr is double il) w.WriteNumber("initial_lr", il);
                w.WriteStartArray("params");
                for (int i = 0; i < g.Params.Count; i++) w.WriteNumberValue(index++);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Loads a snapshot from <see cref="StateDict"/> (<c>optimizer.load_state_dict</c>): group options and copies of the state.</summary>
    public void LoadStateDict(OptimizerStateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        LoadStateDict(stateDict.State, stateDict.ParamGroups);
    }

    /// <summary>Loads state tensors (<c>state.{i}.{name}</c>) and the param-groups JSON; validates everything before changing anything.</summary>
    /// <exception cref="ArgumentException">Group count/sizes differ, a key or shape does not fit, an option is invalid, or the JSON is malformed.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, string paramGroupsJson)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(paramGroupsJson);
        var options = ParseGroups(paramGroupsJson);

        var flat = new List<Tensor>();
        foreach (var g in _groups) flat.AddRange(g.Params);
        var newState = new Dictionary<int, ParamState>();
        foreach (var (key, value) in state)
        {
            var parts = key.Split('.');
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int idx))
                throw new ArgumentException($"{Name}.LoadStateDict: unexpected key '{key}'; state keys look like 'state.0.exp_avg'.");
            if (idx >= flat.Count)
                throw new ArgumentException($"{Name}.LoadStateDict: key '{key}' refers to parameter {idx}, but the optimizer has {flat.Count} parameters.");
            if (!newState.TryGetValue(idx, out var st)) newState[idx] = st = new ParamState();
            string name = parts[2];
            if (name == "step")
            {
                if (StepDType is null) throw new ArgumentException($"{Name}.LoadStateDict: unexpected key '{key}'; {Name} keeps no step count.");
                if (value.Numel != 1) throw new ArgumentException($"{Name}.LoadStateDict: '{key}' must be a one-element tensor, got shape {value.Shape}.");
                st.Step = value.DType == DType.Int64 ? value.ToInt64Array()[0] : (long)value.Item();
                continue;
            }
            bool known = false;
            foreach (var n in StateNames) known |= n == name;
            if (!known) throw new ArgumentException($"{Name}.LoadStateDict: unexpected state '{key}'; {Name} keeps {string.Join(", ", StateNames)}{(StepDType is null ? "" : ", step")}.");
            var p = flat[idx];
            if (!value.Shape.Equals(p.Shape))
                throw new ArgumentException($"{Name}.LoadStateDict: '{key}' has shape {value.Shape} but parameter {idx}{NameOf(p)} has shape {p.Shape}; the state belongs to a different model.");
            Tensor copy;
            // On the parameter's device, as PyTorch casts loaded state: the update kernels read both from one device.
            using (Torch.NoGrad()) copy = value.Device == p.Device ? value.Float().Detach().Clone() : value.Float().Detach().To(p.Device);
            st.Add(name, copy);
        }
        if (StepDType is not null)
            foreach (var (idx, st) in newState)
                if (!state.ContainsKey("state." + idx.ToString(CultureInfo.InvariantCulture) + ".step"))
                    throw new ArgumentException($"{Name}.LoadStateDict: 'state.{idx}.step' is missing but parameter {idx} has state buffers.");

        // All checks passed: commit.
        for (int gi = 0; gi < _groups.Count; gi++)
        {
            foreach (var (k, v) in options[gi]) _groups[gi][k] = v;
            // PyTorch replaces the whole group dict: a snapshot without initial_lr drops it.
            if (!options[gi].ContainsKey("initial_lr")) _groups[gi].InitialLr = null;
        }
        _state.Clear();
        foreach (var (idx, st) in newState) _state[flat[idx]] = st;
    }

    private List<Dictionary<string, double>> ParseGroups(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new ArgumentException($"{Name}.LoadStateDict: param groups are not valid JSON: {e.Message}", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new ArgumentException($"{Name}.LoadStateDict: param groups must be a JSON array of objects, got {doc.RootElement.ValueKind}.");
            int n = doc.RootElement.GetArrayLength();
            if (n != _groups.Count)
                throw new ArgumentException($"{Name}.LoadStateDict: loaded state dict has a different number of parameter groups ({n}) than the optimizer ({_groups.Count}).");
            var result = new List<Dictionary<string, double>>();
            int gi = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                var opts = new Dictionary<string, double>(StringComparer.Ordinal);
                int count = -1;
                foreach (var prop in e.EnumerateObject())
                {
                    var v = prop.Value;
                    switch (prop.Name)
                    {
                        case "params": count = v.GetArrayLength(); break;
                        case "betas": opts["beta1"] = v[0].GetDouble(); opts["beta2"] = v[1].GetDouble(); break;
                        default:
                            if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) opts[prop.Name] = v.GetBoolean() ? 1 : 0;
                            else if (v.ValueKind == JsonValueKind.Number) opts[prop.Name] = v.GetDouble();
                            break; // PyTorch-only entries (foreach: null, capturable, ...) carry no state here.
                    }
                }
                if (count != _groups[gi].Params.Count)
                    throw new ArgumentException($"{Name}.LoadStateDict: loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group {gi}: {count} vs {_groups[gi].Params.Count} parameters).");
                var probe = new ParamGroup([]);
                foreach (var (k, v) in _groups[gi].Options) probe[k] = v;
                foreach (var (k, v) in opts) probe[k] = v;
                ValidateGroup(probe);
                // Keep only options this optimizer knows (plus lr/initial_lr).
                var keep = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var (k, v) in opts)
                {
                    bool known = k is "lr" or "initial_lr";
                    foreach (var d in _defaults) known |= d.Key == k;
                    if (known) keep[k] = v;
                }
                result.Add(keep);
                gi++;
            }
            return result;
        }
    }

    // ───────────────────────────── validation helpers ─────────────────────────────

    /// <summary>Throws PyTorch's "Invalid {what}: {value}" unless <paramref name="ok"/>.</summary>
    protected void Require(bool ok, string what, double value)
    {
        if (!ok) throw new ArgumentException($"{Name}: Invalid {what}: {PyFormat.Float(value)}");
    }
}
