using ResearchKit.Attacks;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Experiments.RobustQuantization;

/// <summary>
/// The attacks the EnResNets of <see cref="RobustEnResNetRecipe"/> are evaluated with: a weak one (FGSM) and two strong ones
/// (PGD-20 on the cross-entropy, and PGD on the Carlini–Wagner margin, "CW∞"), all L∞ with ε = 0.031 on [0, 1] images
/// (the EnResNet attack code). Because an EnResNet draws fresh noise at every forward pass, a one-sample gradient is a noisy
/// estimate of the gradient of the expected loss; the strong attacks average <see cref="EotSamples"/> gradients per step
/// (EOT, Athalye et al. 2018), without which a randomized model looks more robust than it is.
/// </summary>
/// <remarks>
/// The EnResNet attack code's C&amp;W is an L2 C&amp;W (c = 10, 50 Adam steps at lr 6·10⁻⁴) whose perturbation is then scaled
/// by ε; the kit uses the common bounded form instead (the C&amp;W margin max_{j≠y} Z_j − Z_y ascended by PGD inside the same
/// ε-ball, as Madry et al. and TRADES report it), so every attack has the same threat model. Its PGD-20 step is 2/255 (the
/// EnResNet paper's IFGSM20 setting; the released script's step is not fixed).
/// </remarks>
public static class RobustEnResNetAttacks
{
    /// <summary>L∞, ε = 0.031, [0, 1], untargeted (EnResNet code).</summary>
    public static ThreatModel Threat { get; } = new(AttackNorm.LInf, 0.031f);

    /// <summary>Iterations of the strong PGD.</summary>
    public const int PgdSteps = 20;
    /// <summary>Step of the strong PGD (2/255).</summary>
    public const float PgdStepSize = 2f / 255f;
    /// <summary>Iterations of the CW∞ attack.</summary>
    public const int CwSteps = 30;

    /// <summary>Test images attacked: 16 at smoke, 400 at quick (a seeded subset: ±2.5 points of binomial standard error at
    /// 50 %), all at paper (null).</summary>
    public static int? Images(Preset preset) => preset switch { Preset.Smoke => 16, Preset.Quick => 400, _ => null };

    /// <summary>Gradients averaged per step by the strong attacks (EOT): 2 at smoke, 3 at quick (to fit 14 models in its
    /// budget), 10 at paper.</summary>
    public static int EotSamples(Preset preset) => preset switch { Preset.Smoke => 2, Preset.Quick => 3, _ => 10 };

    /// <summary>FGSM, one step of ε (weak attack).</summary>
    public static Fgsm Fgsm(Module<Tensor, Tensor> model) => new(model, Threat);

    /// <summary>PGD-20 on the cross-entropy, no random start, <paramref name="eotSamples"/> gradients averaged per step.</summary>
    public static Pgd Pgd(Module<Tensor, Tensor> model, int eotSamples) =>
        new(model, Threat, PgdSteps, PgdStepSize) { EotSamples = eotSamples };

    /// <summary>PGD on the C&amp;W margin inside the ε-ball ("CW∞"), <paramref name="eotSamples"/> gradients averaged per step.</summary>
    public static Pgd CwInf(Module<Tensor, Tensor> model, int eotSamples)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new(model, Threat, CwSteps, PgdStepSize, objective: (x, y) => CwMargin(model.Forward(x), y))
        {
            ObjectiveName = "C&W margin max_{j!=y} Z_j - Z_y (clamped at -50)",
            EotSamples = eotSamples,
        };
    }

    /// <summary>Σ over the batch of max(max_{j≠y} Z_j − Z_y, −50): the C&amp;W margin a PGD ascends (differentiable).</summary>
    /// <exception cref="ArgumentException">Logits are not (N, C) or labels not (N).</exception>
    public static Tensor CwMargin(Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.Dim != 2 || labels.Dim != 1 || labels.Size(0) != logits.Size(0))
            throw new ArgumentException($"CwMargin: logits must be (N, C) and labels (N), got {logits.Shape} and {labels.Shape}.", nameof(logits));
        var index = labels.Reshape(-1, 1);
        var correct = logits.Gather(1, index).Reshape(-1);
        int n = logits.Size(0), c = logits.Size(1);
        var y = labels.ToInt64Array();
        var mask = new float[n * c];
        for (int i = 0; i < n; i++) mask[i * c + y[i]] = 1e4f;   // exclude the true class from the max
        var wrong = (logits - Tensor.FromArray(mask, n, c)).Max(1).Values;
        return (wrong - correct).Clamp(min: -50f).Sum();
    }
}
