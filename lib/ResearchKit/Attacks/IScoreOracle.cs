using ResearchKit.Tensors;

namespace ResearchKit.Attacks;

/// <summary>
/// What a score-based (black-box) attacker sees of a target: scores for a batch of inputs, nothing else — no
/// gradients, no parameters, no routing. SPSA and Square query a target only through this interface, so a defended
/// model (e.g. the Ensemble Hash Defense) is attacked exactly as a plain one.
/// </summary>
public interface IScoreOracle
{
    /// <summary>Scores (N, C) for inputs (N, …) in the threat model's range; larger is more likely. Called under no-grad.</summary>
    Tensor Scores(Tensor inputs);

    /// <summary>Inputs scored so far (one query = one input, so a batch of N counts N).</summary>
    long Queries { get; }
}
