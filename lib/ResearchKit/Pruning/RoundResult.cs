namespace ResearchKit.Pruning;

/// <summary>What the caller's training function reports for one <see cref="TicketSearch"/> round.</summary>
/// <param name="Metrics">Evaluation metrics, e.g. <c>{"test/accuracy": 0.97}</c> or <c>{"valid/ppl": 92.1}</c>.</param>
/// <param name="LossCurve">Training loss by step (for the loss-curve figures), or null.</param>
/// <param name="RunId">Id of the run in a run store, or null.</param>
public sealed record RoundResult(IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<(long Step, double Loss)>? LossCurve = null, string? RunId = null);
