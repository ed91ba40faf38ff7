namespace ResearchKit.Attacks;

/// <summary>
/// The attacker's constraints: the perturbation ball (norm, ε), the valid input range, and the goal.
/// </summary>
/// <param name="Norm">Norm of the ε-ball.</param>
/// <param name="Epsilon">Radius ε ≥ 0 (in input units; 8/255 for the thesis' CIFAR experiments, §6.5.1, §A.2).</param>
/// <param name="ClipMin">Smallest valid input value (0 for images divided by 255).</param>
/// <param name="ClipMax">Largest valid input value (1).</param>
/// <param name="Targeted">True: push towards the given labels; false (the thesis' setting): away from them.</param>
public sealed record ThreatModel(AttackNorm Norm, float Epsilon, float ClipMin = 0f, float ClipMax = 1f, bool Targeted = false)
{
    /// <summary>The thesis' threat model for chapter 6 and appendix A: untargeted L∞, ε = 8/255, inputs in [0, 1].</summary>
    public static ThreatModel Thesis { get; } = new(AttackNorm.LInf, 8f / 255f);

    /// <summary>Checks the values and throws a clear error for a bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">ε negative or not finite, or an empty clip range.</exception>
    public ThreatModel Validated()
    {
        if (!(Epsilon >= 0) || !float.IsFinite(Epsilon))
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, $"ThreatModel: epsilon must be finite and ≥ 0, got {Epsilon}; for 8-bit images write e.g. 8f / 255f.");
        if (!(ClipMin < ClipMax))
            throw new ArgumentOutOfRangeException(nameof(ClipMin), ClipMin, $"ThreatModel: the clip range [{ClipMin}, {ClipMax}] is empty; use [0, 1] for images divided by 255.");
        return this;
    }
}
