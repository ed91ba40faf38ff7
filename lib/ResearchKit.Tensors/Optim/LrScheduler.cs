using System.Text.Json.Nodes;

namespace ResearchKit.Tensors.Optim;

/// <summary>
/// Base class of learning-rate schedulers (<c>torch.optim.lr_scheduler._LRScheduler</c>, PyTorch 1.13 semantics).
/// Constructing a scheduler sets each group's lr to the epoch-0 value; call <see cref="Step()"/> after each
/// epoch (or iteration) — after <c>optimizer.Step()</c> — to advance.
/// </summary>
/// <remarks>
/// <see cref="GetLr"/> is PyTorch's chainable (recursive) form: it reads the groups' current lr, so several schedulers
/// can act on one optimizer, and the values equal PyTorch's bit for bit. Subclass constructors must call
/// <see cref="InitialStep"/> last, once their own fields are set (C# runs the base constructor first).
/// </remarks>
public abstract class LrScheduler
{
    private double[] _lastLr = [];

    /// <summary>Attaches to <paramref name="optimizer"/>: records <c>initial_lr</c> per group (or, when resuming with
    /// <paramref name="lastEpoch"/> ≥ 0, requires it).</summary>
    /// <exception cref="ArgumentException">Resuming and a group has no <c>initial_lr</c>.</exception>
    protected LrScheduler(Optimizer optimizer, int lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        var groups = optimizer.ParamGroups;
        BaseLrsArray = new double[groups.Count];
        for (int i = 0; i < groups.Count; i++)
        {
            if (lastEpoch == -1) groups[i].InitialLr ??= groups[i].Lr;
            else if (groups[i].InitialLr is null)
                throw new ArgumentException($"{GetType().Name}: param 'initial_lr' is not specified in param_groups[{i}] when resuming an optimizer (lastEpoch={lastEpoch}); pass lastEpoch: -1, or load the optimizer's state dict first.");
            BaseLrsArray[i] = groups[i].InitialLr!.Value;
        }
        LastEpoch = lastEpoch;
    }

    /// <summary>The optimizer whose group learning rates this scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Initial learning rate per group (<c>base_lrs</c>).</summary>
    public IReadOnlyList<double> BaseLrs => BaseLrsArray;

    /// <summary>Base learning rates, writable by subclasses and state loading.</summary>
    protected double[] BaseLrsArray { get; private set; }

    /// <summary>Index of the last epoch (<c>last_epoch</c>): 0 right after construction.</summary>
    public int LastEpoch { get; protected internal set; }

    /// <summary>Number of <see cref="Step()"/> calls including the one made by the constructor (<c>_step_count</c>).</summary>
    protected internal int StepCount { get; set; }

    /// <summary>The learning rates set by the last step, one per group (<c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> GetLastLr() => _lastLr;

    /// <summary>The groups' current learning rates.</summary>
    protected double[] CurrentLrs()
    {
        var g = Optimizer.ParamGroups;
        var r = new double[g.Count];
        for (int i = 0; i < r.Length; i++) r[i] = g[i].Lr;
        return r;
    }

    /// <summary>New learning rates for <see cref="LastEpoch"/>, chainable form (may read the groups' current lr).</summary>
    protected abstract double[] GetLr();

    /// <summary>Closed-form learning rates for <see cref="LastEpoch"/>, or null when the scheduler has none.</summary>
    protected virtual double[]? GetClosedFormLr() => null;

    /// <summary>Resets the step counter and performs the epoch-0 step (<c>_initial_step</c>).</summary>
    protected internal void InitialStep()
    {
        StepCount = 0;
        Step();
    }

    /// <summary>Advances one epoch and writes the new learning rates into the optimizer's groups.</summary>
    public virtual void Step()
    {
        StepCount++;
        LastEpoch++;
        Apply(GetLr());
    }

    /// <summary>Jumps to <paramref name="epoch"/> using the closed form when available (PyTorch's deprecated <c>step(epoch)</c>).</summary>
    public virtual void Step(int epoch)
    {
        StepCount++;
        LastEpoch = epoch;
        Apply(GetClosedFormLr() ?? GetLr());
    }

    private void Apply(double[] lrs)
    {
        var g = Optimizer.ParamGroups;
        for (int i = 0; i < g.Count && i < lrs.Length; i++) g[i].Lr = lrs[i];
        SetLastLr(CurrentLrs());
    }

    /// <summary>Records the learning rates reported by <see cref="GetLastLr"/>.</summary>
    protected void SetLastLr(double[] lrs) => _lastLr = lrs;

    // ───────────────────────────── state dict ─────────────────────────────

    /// <summary>The scheduler's state as JSON (PyTorch's <c>state_dict()</c> keys: <c>base_lrs</c>, <c>last_epoch</c>,
    /// <c>_step_count</c>, <c>_last_lr</c> and the hyper-parameters). Save it next to the optimizer's state.</summary>
    public string StateDict()
    {
        var o = new JsonObject();
        SaveState(o);
        return o.ToJsonString();
    }

    /// <summary>Restores a state from <see cref="StateDict"/>. Like PyTorch, the optimizer's lr is not touched: load the optimizer's state too.</summary>
    /// <exception cref="ArgumentException">The JSON is malformed or lacks a key.</exception>
    public void LoadStateDict(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonObject o;
        try { o = JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException($"{GetType().Name}.LoadStateDict: expected a JSON object."); }
        catch (System.Text.Json.JsonException e) { throw new ArgumentException($"{GetType().Name}.LoadStateDict: invalid JSON: {e.Message}", e); }
        LoadState(o);
    }

    /// <summary>Writes the state (subclasses add their hyper-parameters after calling the base).</summary>
    protected virtual void SaveState(JsonObject state)
    {
        state["base_lrs"] = ToJson(BaseLrsArray);
        state["last_epoch"] = LastEpoch;
        state["_step_count"] = StepCount;
        state["_last_lr"] = ToJson(_lastLr);
    }

    /// <summary>Reads the state written by <see cref="SaveState"/>.</summary>
    protected virtual void LoadState(JsonObject state)
    {
        BaseLrsArray = Doubles(state, "base_lrs");
        LastEpoch = Get<int>(state, "last_epoch");
        StepCount = Get<int>(state, "_step_count");
        _lastLr = Doubles(state, "_last_lr");
    }

    /// <summary>A JSON array of numbers.</summary>
    protected static JsonArray ToJson(IEnumerable<double> values)
    {
        var a = new JsonArray();
        foreach (var v in values) a.Add(v);
        return a;
    }

    /// <summary>Reads a required value.</summary>
    protected T Get<T>(JsonObject state, string key) =>
        state[key] is JsonNode n ? n.GetValue<T>() : throw new ArgumentException($"{GetType().Name}.LoadStateDict: missing key '{key}'.");

    /// <summary>Reads a required array of numbers.</summary>
    protected double[] Doubles(JsonObject state, string key)
    {
        if (state[key] is not JsonArray a) throw new ArgumentException($"{GetType().Name}.LoadStateDict: missing array '{key}'.");
        var r = new double[a.Count];
        for (int i = 0; i < r.Length; i++) r[i] = a[i]!.GetValue<double>();
        return r;
    }
}
