namespace ResearchKit.Training;

/// <summary>
/// Stops training when a monitored evaluation metric has not improved for <see cref="Patience"/> evaluations in a row.
/// </summary>
/// <param name="Metric">Key of the metric in the evaluation dictionary, e.g. "accuracy" or "loss".</param>
/// <param name="Patience">Evaluations without improvement tolerated before stopping (≥ 1).</param>
/// <param name="Maximize">True when larger is better (accuracy), false when smaller is better (loss, perplexity).</param>
/// <param name="MinDelta">Minimum change that counts as an improvement.</param>
public sealed record EarlyStopping(string Metric, int Patience, bool Maximize, double MinDelta = 0)
{
    /// <summary>True when <paramref name="value"/> improves on <paramref name="best"/> (always when there is no best yet).</summary>
    public bool Improves(double value, double? best) =>
        best is not double b || (Maximize ? value > b + MinDelta : value < b - MinDelta);
}
