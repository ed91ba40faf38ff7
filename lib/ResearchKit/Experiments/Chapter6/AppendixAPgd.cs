using ResearchKit.Attacks;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Tensors;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Experiments.Chapter6;

/// <summary>Which loss App. A's PGD ascends (§A.2 says "the loss function L" without saying which: thesis silent).</summary>
public enum PgdAttackLoss
{
    /// <summary>Cross-entropy on the network's scores (logits; −d_j for GML; −½‖f − μ*_j‖² for MMC): the default.</summary>
    CrossEntropyOnScores,
    /// <summary>The network's own training loss (CE, GML with its margin, or MMC).</summary>
    OwnLoss,
}

/// <summary>
/// App. A's white-box attack settings (§A.2, Alg. 7): untargeted L∞ PGD, ε = 8/255, 10 iterations of step α = 2/255, no random
/// start, images in [0, 1]; and the objective it ascends on a <see cref="QatNetwork"/> (<see cref="Objective"/>).
/// </summary>
public static class AppendixAPgd
{
    /// <summary>The threat model (§A.2: untargeted, L∞, ε = 8/255, [0, 1]).</summary>
    public static ThreatModel Threat => ThreatModel.Thesis;

    /// <summary>Iterations (Alg. 7, §A.2: 10).</summary>
    public const int Iterations = 10;

    /// <summary>Step α (Alg. 7, §A.2: 2/255).</summary>
    public const float StepSize = 2f / 255f;

    /// <summary>Random start (Alg. 7 line 4: x_adv starts at x, so none).</summary>
    public const bool RandomStart = false;

    /// <summary>Test images attacked: every one at paper (§A.2: the model's adversarial test set), 2,000 at quick (a seeded
    /// subset, ±1.1 points of binomial standard error at 50 %), 50 at smoke; null means the whole test set.</summary>
    public static int? Images(Preset preset) => preset switch { Preset.Smoke => 50, Preset.Quick => 2000, _ => null };

    /// <summary>App. A's PGD on <paramref name="net"/> with <paramref name="loss"/> as the objective (Alg. 7, §A.2).</summary>
    public static Pgd Attack(QatNetwork net, PgdAttackLoss loss = PgdAttackLoss.CrossEntropyOnScores) => loss == PgdAttackLoss.CrossEntropyOnScores
        ? new(net, Threat, Iterations, StepSize, RandomStart)   // the network's Forward gives its scores: plain CE on them
        : new(net, Threat, Iterations, StepSize, RandomStart, objective: Objective(net, loss)) { ObjectiveName = $"own loss: {net.Head.Kind}" };

    /// <summary>The loss PGD ascends on <paramref name="net"/>: (inputs, labels) → scalar. Gradients cross the quantizers by
    /// their straight-through estimators (how the thesis' gradients cross them is not stated).</summary>
    public static Func<Tensor, Tensor, Tensor> Objective(QatNetwork net, PgdAttackLoss loss = PgdAttackLoss.CrossEntropyOnScores)
    {
        ArgumentNullException.ThrowIfNull(net);
        return loss switch
        {
            PgdAttackLoss.CrossEntropyOnScores => (x, y) => F.CrossEntropy(net.Forward(x), y),
            PgdAttackLoss.OwnLoss => net.Loss,
            _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "AppendixAPgd.Objective: use CrossEntropyOnScores or OwnLoss."),
        };
    }
}
