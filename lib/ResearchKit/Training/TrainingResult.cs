namespace ResearchKit.Training;

/// <summary>Outcome of <see cref="Trainer.Fit"/>.</summary>
/// <param name="Steps">Total optimizer steps completed (including steps done before a resume).</param>
/// <param name="Epochs">Completed epochs.</param>
/// <param name="EarlyStopped">True when early stopping ended training.</param>
/// <param name="FinalMetrics">Metrics of the final evaluation (empty without an evaluation delegate).</param>
/// <param name="BestMetric">Best value of the early-stopping metric, if monitored.</param>
/// <param name="BestStep">Step of <paramref name="BestMetric"/> (-1 when none).</param>
/// <param name="StepsThisRun">Steps done by this call (fewer than <paramref name="Steps"/> after a resume).</param>
/// <param name="Elapsed">Wall time of this call.</param>
public sealed record TrainingResult(long Steps, int Epochs, bool EarlyStopped, IReadOnlyDictionary<string, double> FinalMetrics,
    double? BestMetric, long BestStep, long StepsThisRun, TimeSpan Elapsed);
