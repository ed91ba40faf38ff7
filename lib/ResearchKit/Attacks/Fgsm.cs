using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Attacks;

/// <summary>
/// Fast Gradient Sign Method (Goodfellow et al. 2015; thesis Alg. 6): x' = clip(x + ε·sign(∇x L)), one gradient.
/// Under an L2 threat model it is the fast gradient method x' = clip(x + ε·∇x L/‖∇x L‖₂).
/// </summary>
/// <remarks>sign(0) = 0 (as torch.sign): a pixel with a zero gradient does not move.</remarks>
public sealed class Fgsm : GradientAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="model">Model returning scores (N, C).</param>
    /// <param name="threat">ε-ball, clip range and goal (e.g. <see cref="ThreatModel.Thesis"/>).</param>
    /// <param name="objective">Loss (inputs, labels); null for cross-entropy.</param>
    public Fgsm(Module<Tensor, Tensor> model, ThreatModel threat, Func<Tensor, Tensor, Tensor>? objective = null) : base(model, threat, objective) { }

    /// <inheritdoc/>
    public override string Name => "FGSM";

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, object?>> Settings() => [];

    /// <inheritdoc/>
    protected override Tensor Run(Tensor inputs, Tensor labels)
    {
        var g = AscentGradient(inputs, labels);
        var step = Threat.Norm == AttackNorm.LInf ? g.Sign() * Threat.Epsilon : L2Normalize(g) * Threat.Epsilon;
        var x = (inputs + step).Clamp(Threat.ClipMin, Threat.ClipMax);
        // Rounding of x + ε·s can overshoot the ball by an ulp; the projection makes the bound exact.
        return Threat.Norm == AttackNorm.LInf ? Project(x, inputs, inputs - Threat.Epsilon, inputs + Threat.Epsilon) : Project(x, inputs, inputs, inputs);
    }
}
