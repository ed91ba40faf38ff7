using ResearchKit.Tensors;

namespace ResearchKit.Attacks.SideChannel;

/// <summary>
/// Attack success against the number of traces T: for each T, a score-based attack (SPSA, Square, …) runs on a fresh
/// <see cref="SideChannelOracle"/> over the device, and its adversarial inputs are judged on the device's true logits.
/// </summary>
public static class TraceSweep
{
    /// <summary>Runs the sweep.</summary>
    /// <param name="device">The device's true logits (also used, unseen by the attack, to judge success).</param>
    /// <param name="leakage">The side channel; its Traces is replaced by each T.</param>
    /// <param name="attackFor">Builds the attack on a given oracle (e.g. <c>o =&gt; new SquareAttack(o, threat, 1000, seed: 1)</c>).</param>
    /// <param name="inputs">Inputs (N, …).</param>
    /// <param name="labels">True labels (untargeted) or targets (targeted), Int64 (N).</param>
    /// <param name="traces">Trace counts T ≥ 1.</param>
    /// <param name="seed">Seed of the side channel (the attack's own seed is set by <paramref name="attackFor"/>).</param>
    /// <returns>One point per trace count, in the given order.</returns>
    /// <exception cref="ArgumentException">No trace count.</exception>
    public static IReadOnlyList<TraceSweepPoint> AttackSuccess(IScoreOracle device, LeakageModel leakage, Func<IScoreOracle, IAttack> attackFor,
        Tensor inputs, Tensor labels, IReadOnlyList<int> traces, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(leakage);
        ArgumentNullException.ThrowIfNull(attackFor);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(traces);
        if (traces.Count == 0) throw new ArgumentException("TraceSweep: give at least one trace count, e.g. [1, 4, 16, 64].", nameof(traces));
        var y = labels.ToInt64Array();
        var points = new List<TraceSweepPoint>(traces.Count);
        foreach (int t in traces)
        {
            var oracle = new SideChannelOracle(device, leakage with { Traces = t }, seed);
            var attack = attackFor(oracle);
            var adv = attack.Perturb(inputs, labels);
            Tensor truth;
            using (Torch.NoGrad()) truth = device.Scores(adv);
            var pred = truth.Argmax(1).ToInt64Array();
            int fooled = 0;
            for (int i = 0; i < y.Length; i++) if (attack.Threat.Targeted ? pred[i] == y[i] : pred[i] != y[i]) fooled++;
            points.Add(new TraceSweepPoint(t, fooled / (double)y.Length, oracle.Queries, oracle.Traces));
        }
        return points;
    }
}
