using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Losses;

/// <summary>
/// Additive Margin Softmax loss (AMS; Wang et al. 2018, ref. [114] of the thesis; thesis §5.3, Eqs. 5.6–5.7), one of the
/// two "disentangled" losses of DL-QAT. It owns the bias-free last layer: a class weight matrix W (C × D).
/// </summary>
/// <remarks>
/// <para>With f̂ = f/‖f‖ and Ŵ_j = W_j/‖W_j‖ (Eq. 5.6), cos θ_j = Ŵ_j·f̂ and (Eq. 5.7)</para>
/// <para><c>L_AMS = −log[ e^{s(cos θ_y − m)} / ( e^{s(cos θ_y − m)} + Σ_{j≠y} e^{s·cos θ_j} ) ]</c>,</para>
/// <para>i.e. the cross-entropy of the logits s·(cos θ_j − m·[j = y]). Defaults s = 30 (taken from [114], §5.4.1) and
/// m = 0.35 (best FP32 margin of Table 5.2). The thesis' AMS layer has no bias (§5.4.1).</para>
/// <para>Not stated in the thesis: the initialization of W (only its direction matters; we use <see cref="Linear"/>'s
/// PyTorch default U(−1/√D, 1/√D)), and the prediction rule (we take argmax cos θ_j, which is argmax of the logits
/// without margin). The normalization clamps norms at 1e-12 as <c>F.normalize</c>.</para>
/// <para>Shape: features (N, D) Float32, targets (N) Int64; output 0-d ("mean", "sum") or (N) ("none").
/// Parameter <c>weight</c> (C, D), the state-dict name of a bias-free <see cref="Linear"/>.</para>
/// </remarks>
public sealed class AmsLoss : Loss
{
    /// <summary>Feature dimension D.</summary>
    public int InFeatures { get; }

    /// <summary>Number of classes C.</summary>
    public int Classes { get; }

    /// <summary>Scale s (default 30, §5.4.1 after [114]).</summary>
    public float Scale { get; }

    /// <summary>Additive cosine margin m (default 0.35, Table 5.2).</summary>
    public float Margin { get; }

    /// <summary>Class weights W (C, D), registered as parameter <c>weight</c>.</summary>
    public Tensor Weight { get; }

    /// <summary>Creates the loss and its class weights.</summary>
    /// <param name="inFeatures">Feature dimension D.</param>
    /// <param name="classes">Number of classes C (≥ 2).</param>
    /// <param name="scale">s, default 30 (thesis §5.4.1).</param>
    /// <param name="margin">m ≥ 0, default 0.35 (Table 5.2); 0 gives a plain cosine-softmax cross-entropy.</param>
    /// <param name="reduction">"mean" (default, as the thesis' averaged batch loss), "sum" or "none".</param>
    /// <param name="generator">Random source for W's initialization (default: <see cref="Generator.Default"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, fewer than 2 classes, s ≤ 0 or m &lt; 0.</exception>
    /// <exception cref="ArgumentException">Unknown reduction.</exception>
    public AmsLoss(int inFeatures, int classes, float scale = 30f, float margin = 0.35f, string reduction = "mean", Generator? generator = null)
        : base(reduction)
    {
        LossArgs.Sizes(nameof(AmsLoss), inFeatures, classes);
        LossArgs.AtLeast(nameof(AmsLoss), nameof(scale), scale, float.Epsilon);
        LossArgs.AtLeast(nameof(AmsLoss), nameof(margin), margin, 0f);
        InFeatures = inFeatures; Classes = classes; Scale = scale; Margin = margin;
        Weight = RegisterParameter("weight", Tensor.Zeros(classes, inFeatures));
        ResetParameters(generator);
    }

    /// <summary>Re-draws W from U(−1/√D, 1/√D) (PyTorch's Linear default; the thesis does not state W's initialization).</summary>
    public void ResetParameters(Generator? generator = null) => Init.KaimingUniform_(Weight, MathF.Sqrt(5f), generator: generator);

    /// <summary>cos θ_j = Ŵ_j·f̂ (Eq. 5.6), shape (N, C), differentiable in both f and W.</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D).</exception>
    public Tensor Cosine(Tensor features)
    {
        LossArgs.Features(nameof(AmsLoss), features, InFeatures);
        return Functional.Normalize(features, dim: 1).Matmul(Functional.Normalize(Weight, dim: 1).T);
    }

    /// <summary>Logits without margin, s·cos θ_j (N, C): what the network outputs at test time.</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D).</exception>
    public Tensor Logits(Tensor features) => Scale * Cosine(features);

    /// <summary>Predicted classes argmax_j cos θ_j (N) Int64 (the thesis does not state the rule; this is the margin-free one).</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D).</exception>
    public Tensor Predict(Tensor features)
    {
        using (Torch.NoGrad()) return Cosine(features).Argmax(1);
    }

    /// <summary>L_AMS (Eq. 5.7) of <paramref name="features"/> (N, D) against class indices <paramref name="target"/> (N).</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D), or targets are not Int64 (N) in [0, C).</exception>
    public override Tensor Forward(Tensor features, Tensor target)
    {
        var cos = Cosine(features);
        LossArgs.Targets(nameof(AmsLoss), features, target, Classes);
        var logits = Scale * (cos - Margin * LossArgs.OneHot(target, Classes));
        return Functional.CrossEntropy(logits, target, reduction: Reduction);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"in_features={InFeatures}, classes={Classes}, s={LossArgs.Repr(Scale)}, m={LossArgs.Repr(Margin)}"
        + (Reduction == "mean" ? "" : $", reduction={Reduction}");
}
