using ResearchKit.Losses;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Experiments.Chapter5;

/// <summary>
/// What turns the penultimate features (the input of the final linear layer, §5.3) into a training loss and a prediction,
/// for each <see cref="QatLoss"/>: cross-entropy uses the model's own classifier <c>fc</c>; AMS and GML own their class
/// parameters (<see cref="AmsLoss"/>'s bias-free weight, <see cref="GmlLoss"/>'s means) and ignore the model's <c>fc</c>;
/// MMC owns its preset centers (<see cref="MmcLoss"/>, a buffer: nothing to train) and ignores <c>fc</c> too.
/// </summary>
/// <remarks>
/// <para>AMS (§5.4.1, "the linear layer has no bias"): the bias-free classifier <em>is</em> the AMS weight, owned by the head;
/// the model's own <c>fc</c> is not used in the forward pass (its parameters get no gradient). This is the documented choice
/// among the two readings of the brief (build the model with <c>fcBias: false</c>, or use the AMS weight as the classifier).</para>
/// <para>The class parameters of AMS and GML are registered on the head, so an optimizer built on a <see cref="QatNetwork"/>'s
/// parameters receives them. They stay in float in Training II: whether μ (or the AMS weight) is quantized like the "last
/// layer weights" kept at 8 bits is not stated (protocols §2.5, §2.7, NS).</para>
/// </remarks>
public abstract class ClassifierHead : Module
{
    /// <summary>The loss this head trains with.</summary>
    public abstract QatLoss Kind { get; }

    /// <summary>Batch-mean training loss of <paramref name="features"/> (N, D) against class indices <paramref name="target"/> (N).</summary>
    public abstract Tensor Loss(Tensor features, Tensor target);

    /// <summary>Margin-free scores (N, C) whose argmax is the prediction (CE: fc logits; AMS: s·cos θ_j; GML: −d_j; MMC: −½‖f − μ*_j‖²).</summary>
    public abstract Tensor Logits(Tensor features);

    /// <summary>Predicted classes (N) Int64: argmax of <see cref="Logits"/> (AMS: nearest direction; GML: nearest mean).</summary>
    public Tensor Predict(Tensor features)
    {
        using (Torch.NoGrad()) return Logits(features).Argmax(1);
    }

    /// <summary>Builds the head of <paramref name="loss"/>.</summary>
    /// <param name="loss">CE, AMS, GML or MMC.</param>
    /// <param name="classifier">Reads the model's current final linear layer (it changes when the model is quantized); used by CE only.</param>
    /// <param name="features">Feature dimension D (512 for ResNet-18, 64 for the CIFAR ResNets).</param>
    /// <param name="classes">Number of classes C.</param>
    /// <param name="settings">s, m (AMS), α and the means' init std (GML).</param>
    /// <param name="generator">Random source for AMS's weight / GML's means.</param>
    /// <exception cref="ArgumentOutOfRangeException">Unknown loss.</exception>
    /// <exception cref="ArgumentException">MMC with fewer than C − 1 features (C equiangular centers need C − 1 dimensions).</exception>
    public static ClassifierHead Create(QatLoss loss, Func<Module<Tensor, Tensor>> classifier, int features, int classes,
        QatTraining settings, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(settings);
        return loss switch
        {
            QatLoss.CrossEntropy => new CrossEntropyHead(classifier),
            QatLoss.Ams => new AmsHead(new AmsLoss(features, classes, settings.AmsScale, settings.AmsMargin, generator: generator)),
            QatLoss.Gml => new GmlHead(new GmlLoss(features, classes, settings.GmlAlpha, generator: generator, initStd: settings.GmlInitStd)),
            QatLoss.Mmc => new MmcHead(new MmcLoss(CheckMmcWidth(features, classes), classes)),
            _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "ClassifierHead.Create: use QatLoss.CrossEntropy, Ams, Gml or Mmc."),
        };
    }

    // Checked here (not only in MmcLoss) so the message names the network: e.g. CIFAR-100 needs 99 features, ResNetCifar has 64.
    private static int CheckMmcWidth(int features, int classes) => features >= classes - 1 ? features
        : throw new ArgumentException($"ClassifierHead: the MMC loss needs a feature dimension of at least classes − 1 = {classes - 1} " +
            $"(its {classes} preset centers are equiangular), but the network's penultimate features have {features}; use a network with " +
            "wider features (e.g. Pang et al.'s ResNet with a feature-dimension option) or fewer classes.", nameof(features));
}

/// <summary>Cross-entropy (Eq. 2.1) on the model's own <c>fc</c> (logits = fc(features)); it owns no parameter (SAT, §5.4).</summary>
public sealed class CrossEntropyHead : ClassifierHead
{
    private readonly Func<Module<Tensor, Tensor>> _classifier;

    /// <summary>Creates the head.</summary>
    /// <param name="classifier">Returns the model's current final linear layer (float, clamped or quantized).</param>
    public CrossEntropyHead(Func<Module<Tensor, Tensor>> classifier) =>
        _classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));

    /// <inheritdoc/>
    public override QatLoss Kind => QatLoss.CrossEntropy;

    /// <inheritdoc/>
    public override Tensor Logits(Tensor features) => _classifier().Forward(features);

    /// <inheritdoc/>
    public override Tensor Loss(Tensor features, Tensor target) => F.CrossEntropy(Logits(features), target);
}

/// <summary>AMS (Eqs. 5.6–5.7) with its own bias-free class weights (child <c>ams</c>, parameter <c>ams.weight</c>).</summary>
public sealed class AmsHead : ClassifierHead
{
    /// <summary>Wraps <paramref name="ams"/> (registered as child <c>ams</c>).</summary>
    public AmsHead(AmsLoss ams) => Ams = RegisterModule("ams", ams ?? throw new ArgumentNullException(nameof(ams)));

    /// <summary>The loss module owning the class weights.</summary>
    public AmsLoss Ams { get; }

    /// <inheritdoc/>
    public override QatLoss Kind => QatLoss.Ams;

    /// <inheritdoc/>
    public override Tensor Logits(Tensor features) => Ams.Logits(features);

    /// <inheritdoc/>
    public override Tensor Loss(Tensor features, Tensor target) => Ams.Forward(features, target);
}

/// <summary>GML (Eqs. 5.8–5.9) with its own learned means (child <c>gml</c>, parameter <c>gml.means</c>).</summary>
public sealed class GmlHead : ClassifierHead
{
    /// <summary>Wraps <paramref name="gml"/> (registered as child <c>gml</c>).</summary>
    public GmlHead(GmlLoss gml) => Gml = RegisterModule("gml", gml ?? throw new ArgumentNullException(nameof(gml)));

    /// <summary>The loss module owning the class means.</summary>
    public GmlLoss Gml { get; }

    /// <inheritdoc/>
    public override QatLoss Kind => QatLoss.Gml;

    /// <inheritdoc/>
    public override Tensor Logits(Tensor features) => Gml.Logits(features);

    /// <inheritdoc/>
    public override Tensor Loss(Tensor features, Tensor target) => Gml.Forward(features, target);
}

/// <summary>MMC (Eq. 6.6 = Eq. A.1) with its preset, fixed centers (child <c>mmc</c>, buffer <c>mmc.centers</c>; no parameter).</summary>
public sealed class MmcHead : ClassifierHead
{
    /// <summary>Wraps <paramref name="mmc"/> (registered as child <c>mmc</c>).</summary>
    public MmcHead(MmcLoss mmc) => Mmc = RegisterModule("mmc", mmc ?? throw new ArgumentNullException(nameof(mmc)));

    /// <summary>The loss module holding the preset centers.</summary>
    public MmcLoss Mmc { get; }

    /// <inheritdoc/>
    public override QatLoss Kind => QatLoss.Mmc;

    /// <inheritdoc/>
    public override Tensor Logits(Tensor features) => Mmc.Logits(features);

    /// <inheritdoc/>
    public override Tensor Loss(Tensor features, Tensor target) => Mmc.Forward(features, target);
}
