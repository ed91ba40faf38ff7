using ResearchKit.Attacks;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Training;

namespace ResearchKit.Robustness;

/// <summary>
/// What a robustness evaluation attacks and scores: the target's scores (clean and adversarial accuracy are the argmax of
/// <see cref="Scores"/>) and its <see cref="Identity"/>, the part of the cache key that says which trained model it is.
/// </summary>
/// <param name="Identity">Stable description of the trained target: a recipe run's config hash (<see cref="FromRun"/>), or a
/// caller's description. It goes into the run store's config in clear text: <b>never put a secret in it</b>. For an Ensemble
/// Hash Defense, give the members' identities, k and a <em>fingerprint</em> of the defender's key (e.g. the first hex digits of
/// SHA-256 of the key), never the key itself: the fingerprint tells two keys apart without revealing either.</param>
/// <param name="Scores">Scores (N, C) of the target; for a black-box attack (SPSA, Square) the same oracle the attack queries.</param>
public sealed record RobustnessTarget(string Identity, IScoreOracle Scores)
{
    /// <summary>A white-box model: its eval-mode outputs are the scores.</summary>
    /// <param name="model">The model the attack holds too (PGD, FGSM, C&amp;W differentiate it).</param>
    /// <param name="identity">Its identity (see the record's remarks); e.g. <c>"dlqat run " + run.ConfigHash</c>.</param>
    public static RobustnessTarget Of(Module<Tensor, Tensor> model, string identity) =>
        new(Checked(identity), new ModelOracle(model ?? throw new ArgumentNullException(nameof(model))));

    /// <summary>A score oracle (a black-box target, an Ensemble Hash Defense): scores exactly as the attacker sees them.</summary>
    public static RobustnessTarget Of(IScoreOracle oracle, string identity) =>
        new(Checked(identity), oracle ?? throw new ArgumentNullException(nameof(oracle)));

    /// <summary>The model trained by a recipe run, identified by the run's config hash (which holds its whole config and the code
    /// version that trained it), so a retrained model never reuses the robustness results of the previous one.</summary>
    public static RobustnessTarget FromRun(RunResult run, Module<Tensor, Tensor> model, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        return Of(model, (label is null ? "" : label + " ") + "run config " + run.ConfigHash);
    }

    private static string Checked(string identity) => string.IsNullOrWhiteSpace(identity)
        ? throw new ArgumentException("RobustnessTarget: give the target an identity (a run's config hash or a description of the trained model, never a secret key); it keys the cached results.", nameof(identity))
        : identity;
}
