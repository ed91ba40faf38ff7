using System.Globalization;
using System.Text.Json.Nodes;

namespace ResearchKit.Tensors.Optim;

/// <summary>Multiplies the lr by <c>gamma</c> at each milestone epoch (<c>torch.optim.lr_scheduler.MultiStepLR</c>);
/// a milestone listed k times multiplies by <c>gamma^k</c>, as PyTorch's <c>Counter</c> does.</summary>
public sealed class MultiStepLR : LrScheduler
{
    private SortedDictionary<int, int> _milestones;

    /// <summary>Creates the scheduler and sets the epoch-0 lr.</summary>
    /// <param name="optimizer">Optimizer to schedule.</param>
    /// <param name="milestones">Epoch indices at which to decay (e.g. [30, 80]).</param>
    /// <param name="gamma">Multiplicative decay factor.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; -1 to start.</param>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        _milestones = new SortedDictionary<int, int>();
        foreach (var m in milestones) _milestones[m] = _milestones.GetValueOrDefault(m) + 1;
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>Milestones with their multiplicities.</summary>
    public IReadOnlyDictionary<int, int> Milestones => _milestones;

    /// <summary>Decay factor.</summary>
    public double Gamma { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = CurrentLrs();
        if (!_milestones.TryGetValue(LastEpoch, out int k)) return lrs;
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= Math.Pow(Gamma, k);
        return lrs;
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr()
    {
        int passed = 0; // bisect_right over the sorted multiset
        foreach (var (m, c) in _milestones) if (m <= LastEpoch) passed += c;
        var r = new double[BaseLrs.Count];
        for (int i = 0; i < r.Length; i++) r[i] = BaseLrs[i] * Math.Pow(Gamma, passed);
        return r;
    }

    /// <inheritdoc/>
    protected override void SaveState(JsonObject state)
    {
        base.SaveState(state);
        var m = new JsonObject();
        foreach (var (k, c) in _milestones) m[k.ToString(CultureInfo.InvariantCulture)] = c;
        state["milestones"] = m;
        state["gamma"] = Gamma;
    }

    /// <inheritdoc/>
    protected override void LoadState(JsonObject state)
    {
        base.LoadState(state);
        if (state["milestones"] is not JsonObject m) throw new ArgumentException("MultiStepLR.LoadStateDict: missing object 'milestones'.");
        var d = new SortedDictionary<int, int>();
        foreach (var (k, v) in m) d[int.Parse(k, CultureInfo.InvariantCulture)] = v!.GetValue<int>();
        _milestones = d;
        Gamma = Get<double>(state, "gamma");
    }
}
