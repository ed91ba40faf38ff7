namespace ResearchKit.Experiments.RobustQuantization;

/// <summary>
/// How far weight decay alone shrinks a weight that receives no gradient (a filter whose channel is dead after its ReLU,
/// say) over a training run: SGD with decay wd multiplies it by (1 − lr_t·wd) at every step, so it keeps
/// ≈ exp(−wd·Σ_t lr_t) of its norm. Whole zero filters of a ternary or 4-bit network come from such filters falling under the
/// projection's threshold, so a short budget that keeps this horizon short cannot show channel sparsity.
/// </summary>
public static class WeightDecayHorizon
{
    /// <summary>Σ_t lr_t over a run of <paramref name="t"/> on <paramref name="trainImages"/> images (steps per epoch =
    /// ⌊images / batch⌋, the loader drops the last partial batch; ×0.1 at each of <see cref="EnResNetTraining.LrDecayAt"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="trainImages"/> is smaller than one batch.</exception>
    public static double LrSum(EnResNetTraining t, int trainImages)
    {
        ArgumentNullException.ThrowIfNull(t);
        long perEpoch = trainImages / t.BatchSize;
        if (perEpoch < 1) throw new ArgumentException($"WeightDecayHorizon: {trainImages} images make no batch of {t.BatchSize}.", nameof(trainImages));
        long total = t.Epochs * perEpoch;
        var milestones = t.LrDecayAt.Select(f => (long)Math.Round(f * total)).Order().ToArray();
        double sum = 0;
        long start = 0;
        double lr = t.Lr;
        foreach (var m in milestones.Append(total))
        {
            long end = Math.Clamp(m, start, total);
            sum += lr * (end - start);
            start = end;
            lr *= 0.1;
        }
        return sum;
    }

    /// <summary>exp(−wd·Σ lr) of one run: the share of its norm a gradient-free weight keeps.</summary>
    public static double Remaining(EnResNetTraining t, int trainImages) => Math.Exp(-t.WeightDecay * LrSum(t, trainImages));

    /// <summary>The weight decay that, applied in every one of <paramref name="stages"/> (e.g. a float run then its
    /// Binary-Relax fine-tuning), leaves <paramref name="remaining"/> of a gradient-free weight's norm.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="remaining"/> is not in (0, 1].</exception>
    public static double Matching(double remaining, params (EnResNetTraining Settings, int TrainImages)[] stages)
    {
        if (!(remaining > 0 && remaining <= 1)) throw new ArgumentOutOfRangeException(nameof(remaining), remaining, "WeightDecayHorizon.Matching: the remaining share must be in (0, 1].");
        double sum = stages.Sum(s => LrSum(s.Settings, s.TrainImages));
        return sum == 0 ? 0 : -Math.Log(remaining) / sum;
    }
}
