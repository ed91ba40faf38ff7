using ResearchKit.Robustness;
using ResearchKit.Runs;
using ResearchKit.Training;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// Attack success against the side channel's trace count: SPSA and Square attack the device through a
/// <see cref="Attacks.SideChannel.SideChannelOracle"/> averaging T traces for every T of the grid, and through the true logits
/// and the label only as the two bounds; each point is one stored <see cref="RobustnessEvaluator"/> evaluation (judged on the
/// device's true logits), so notebook re-executions read them from the run store.
/// </summary>
/// <remarks>The evaluator's key holds the target's identity, the attack's config — here including the attacker's view, every
/// leakage setting and the channel's seed (<see cref="ViewedAttack"/>) — the data, the batch size and the code version. The
/// target's <see cref="RobustnessTarget.Scores"/> is the device: it scores the clean and adversarial images and is what every
/// view reads.</remarks>
public sealed class SideChannelAttackEvaluation
{
    private readonly RobustnessEvaluator _evaluator;
    private readonly SideChannelAttackGrid _grid;

    /// <summary>Creates the evaluation.</summary>
    /// <param name="store">The run store.</param>
    /// <param name="grid">The settings (validated here).</param>
    /// <param name="options">Reuse of stale results and where notices go.</param>
    /// <param name="codeVersion">Overrides the code version in the key (for tests).</param>
    public SideChannelAttackEvaluation(IRunStore store, SideChannelAttackGrid grid, ExperimentRunOptions? options = null, string? codeVersion = null)
    {
        _grid = (grid ?? throw new ArgumentNullException(nameof(grid))).Validated();
        _evaluator = new RobustnessEvaluator(store, options, codeVersion) { BatchSize = grid.BatchSize };
    }

    /// <summary>The attacks of one point: SPSA and Square on <paramref name="view"/> (T traces for a side channel).</summary>
    public IReadOnlyList<ViewedAttack> Attacks(RobustnessTarget target, AttackerView view, int? traces = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var leakage = view == AttackerView.SideChannel
            ? _grid.Leakage with { Traces = traces ?? throw new ArgumentException("SideChannelAttackEvaluation: a side-channel point needs its trace count T.", nameof(traces)) }
            : null;
        return
        [
            ViewedAttack.On(target.Scores, view, _grid.Spsa, leakage, _grid.LeakageSeed),
            ViewedAttack.On(target.Scores, view, _grid.Square, leakage, _grid.LeakageSeed),
        ];
    }

    /// <summary>Every point: per attack, the true logits, each T of the grid, then the label only.</summary>
    /// <exception cref="ArgumentException">Fewer images in <paramref name="data"/> than the grid asks for.</exception>
    public IReadOnlyList<SideChannelAttackRow> Evaluate(RobustnessTarget target, RobustnessData data)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count < _grid.Images)
            throw new ArgumentException($"SideChannelAttackEvaluation: the grid asks for {_grid.Images} images but the data hold {data.Count}; load more or lower Images.", nameof(data));
        // A subset keeps the description of the whole set and its size, so the first n images of a permutation are keyed as such.
        var subset = data.Count == _grid.Images ? data
            : data with { Dataset = $"{data.Dataset} (first {_grid.Images} of {data.Count})", Images = data.Images.Narrow(0, 0, _grid.Images), Labels = data.Labels.Narrow(0, 0, _grid.Images) };
        var points = new List<(AttackerView View, int? T)> { (AttackerView.TrueLogits, null) };
        points.AddRange(_grid.Traces.Select(t => (AttackerView.SideChannel, (int?)t)));
        points.Add((AttackerView.LabelOnly, null));
        var rows = new List<SideChannelAttackRow>();
        for (int a = 0; a < 2; a++)
            foreach (var (view, t) in points)
            {
                var attack = Attacks(target, view, t)[a];
                var r = _evaluator.Evaluate(target, attack, subset);
                rows.Add(new SideChannelAttackRow(attack.Name, view, t, r.Images, r.CleanAccuracy, r.AdversarialAccuracy, r.Queries,
                    t is int traces ? r.Queries * traces : null, r.RunId, r.FromCache));
            }
        return rows;
    }
}
