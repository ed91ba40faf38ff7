namespace ResearchKit.Pruning;

/// <summary>
/// Settings of a <see cref="TicketSearch"/>: the configuration (which rewind), the pruning plan, the sequence of
/// sparsity objectives P and the save iteration t_save.
/// </summary>
/// <param name="Configuration">WT, WT with save, Rand_init or IMP.</param>
/// <param name="Plan">Groups, rule and ε; the groups' own objectives are replaced round by round (see <see cref="GroupObjective"/>).</param>
public sealed record TicketConfig(TicketConfiguration Configuration, PruningPlan Plan)
{
    /// <summary>The thesis' objectives P = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95).</summary>
    public static IReadOnlyList<double> ThesisObjectives { get; } = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95];

    /// <summary>Sparsity objective of each pruning round (round r ≥ 1 trains at <c>Objectives[r − 1]</c>).</summary>
    public IReadOnlyList<double> Objectives { get; init; } = ThesisObjectives;

    /// <summary>
    /// Iteration t_save (optimizer steps completed in round 0) whose weights WT-with-save rewinds to; required for
    /// <see cref="TicketConfiguration.WinningTicketWithSave"/>. When set, the snapshot is taken in every
    /// configuration (so all four do the same work) but only WT-with-save uses it. 0 means θ⁰ itself.
    /// </summary>
    public long? SaveStep { get; init; }

    /// <summary>
    /// Every t_save of the experiment this search belongs to, so that round 0 snapshots θ at all of them and searches
    /// with different <see cref="SaveStep"/>s that share a <see cref="TicketSearch.CheckpointDirectory"/> train the dense
    /// network once, as the thesis did (§4.5.3: WT, WT_1200 and WT_30k rewind into one dense training). Null or empty:
    /// only <see cref="SaveStep"/>. <see cref="SaveStep"/> is always captured, whether listed here or not; 0 is θ⁰ itself.
    /// </summary>
    public IReadOnlyList<long>? CaptureSteps { get; init; }

    /// <summary>The steps round 0 snapshots at: <see cref="SaveStep"/> and <see cref="CaptureSteps"/> above 0, sorted, without duplicates.</summary>
    public IReadOnlyList<long> SnapshotSteps
    {
        get
        {
            var steps = new SortedSet<long>();
            if (SaveStep is > 0) steps.Add(SaveStep.Value);
            if (CaptureSteps is not null) foreach (var s in CaptureSteps) if (s > 0) steps.Add(s);
            return steps.ToArray();
        }
    }

    /// <summary>
    /// Objective of a group in a round, from the round's P value; null gives every group P. Use it for the thesis'
    /// separate objectives, e.g. <c>(g, p) =&gt; g.Name == "lstm" ? p : Math.Min(p, 0.5)</c>.
    /// </summary>
    public Func<PruningGroup, double, double>? GroupObjective { get; init; }

    /// <summary>How retrainings keep the masks (default: gradients masked before the step, weights and state zeroed after).</summary>
    public MaskEnforcement Masking { get; init; } = MaskEnforcement.GradientsAndWeights;

    /// <summary>What each round's optimizer starts from (default: fresh each round).</summary>
    public RoundOptimizerState OptimizerState { get; init; } = RoundOptimizerState.Fresh;

    /// <summary>Keep a copy of each round's masks in its <see cref="TicketRoundResult"/> (memory: one float per weight per round).</summary>
    public bool KeepRoundMasks { get; init; }

    /// <summary>The plan of pruning round <paramref name="index"/> (0-based into <see cref="Objectives"/>).</summary>
    public PruningPlan PlanForRound(int index)
    {
        double p = Objectives[index];
        return Plan.WithObjectives(g => GroupObjective is null ? p : GroupObjective(g, p));
    }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">No plan, an objective outside [0, 1], a negative t_save or capture step, or WT-with-save without t_save.</exception>
    public void Validate()
    {
        if (Plan is null) throw new ArgumentException("TicketConfig: Plan is null; build one with PruningPlan.Recurrent(model, …) or new PruningPlan([...]).");
        if (Objectives is null) throw new ArgumentException("TicketConfig: Objectives is null; use TicketConfig.ThesisObjectives or a list of fractions.");
        foreach (var p in Objectives) MagnitudePruning.CheckObjective(p, "TicketConfig.Objectives");
        if (SaveStep is < 0) throw new ArgumentException($"TicketConfig: SaveStep (t_save) must be ≥ 0, got {SaveStep}.");
        if (CaptureSteps is not null)
            foreach (var s in CaptureSteps)
                if (s < 0) throw new ArgumentException($"TicketConfig: CaptureSteps must be ≥ 0 (iterations of round 0), got {s}; list the t_save values of the experiment, e.g. [1200, 30000].");
        if (!Enum.IsDefined(Masking)) throw new ArgumentException($"TicketConfig: unknown Masking {Masking}; use GradientsAndWeights or WeightsAfterStep.");
        if (!Enum.IsDefined(OptimizerState)) throw new ArgumentException($"TicketConfig: unknown OptimizerState {OptimizerState}; use Fresh or Carried.");
        if (Configuration == TicketConfiguration.WinningTicketWithSave && SaveStep is null)
            throw new ArgumentException("TicketConfig: WT with save rewinds to θ at iteration t_save; set SaveStep (e.g. SaveStep = 500).");
    }
}
