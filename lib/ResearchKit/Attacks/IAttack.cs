using ResearchKit.Tensors;

namespace ResearchKit.Attacks;

/// <summary>
/// An adversarial attack (torchattacks-style: one attack per class): <see cref="Perturb"/> maps a clean batch and its
/// labels to an adversarial batch inside the threat model's ε-ball and clip range. Deterministic under its seed.
/// </summary>
public interface IAttack
{
    /// <summary>Short name ("FGSM", "PGD", "SPSA", …).</summary>
    string Name { get; }

    /// <summary>The constraints every output respects.</summary>
    ThreatModel Threat { get; }

    /// <summary>Adversarial inputs (same shape as <paramref name="inputs"/>), with no autograd history.</summary>
    /// <param name="inputs">Clean inputs (N, …) inside the clip range.</param>
    /// <param name="labels">True labels (untargeted) or target labels (targeted), Int64 (N).</param>
    Tensor Perturb(Tensor inputs, Tensor labels);

    /// <summary>Model evaluations spent so far (forward passes per input for white-box attacks; oracle queries for black-box ones).</summary>
    long Queries { get; }

    /// <summary>Every setting that changes the result (hashed into cached robustness results; never holds secrets).</summary>
    IReadOnlyDictionary<string, object?> Config { get; }
}
