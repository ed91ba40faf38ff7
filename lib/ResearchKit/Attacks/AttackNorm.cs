namespace ResearchKit.Attacks;

/// <summary>The norm that bounds a perturbation.</summary>
public enum AttackNorm
{
    /// <summary>‖δ‖∞ ≤ ε: every pixel moves by at most ε.</summary>
    LInf,
    /// <summary>‖δ‖₂ ≤ ε per input.</summary>
    L2,
}
