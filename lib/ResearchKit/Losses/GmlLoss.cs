using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Losses;

/// <summary>
/// Gaussian Mixture loss without its likelihood term (GML; Wan et al. 2018, ref. [111] of the thesis; thesis §5.3,
/// Eqs. 5.8–5.9, repeated as Eqs. 6.4–6.5), the second "disentangled" loss of DL-QAT. It owns the learned class means μ (C × D).
/// </summary>
/// <remarks>
/// <para>With an isotropic identity covariance, d_j = ½‖f − μ_j‖² (Eq. 5.8) and (Eq. 5.9)</para>
/// <para><c>L_GM = −log[ e^{−d_y(1+α)} / ( e^{−d_y(1+α)} + Σ_{j≠y} e^{−d_j} ) ]</c>,</para>
/// <para>i.e. the cross-entropy of the logits −d_j·(1 + α·[j = y]); α is a multiplicative margin on the true-class
/// distance. α differs by experiment: 0.7 on CIFAR (Table 5.1, the default here), 0 on ImageNet (§5.4.1), 0.3 in
/// chapter 6 (§6.5.1), 0.7 in App. A (§A.2); it is a settable <see cref="Alpha"/>.</para>
/// <para>What the thesis does not state: Wan et al.'s loss adds a likelihood regularization λ·d_y; the thesis gives
/// only the classification term above, so none is added here. The initialization of μ is not stated either; we draw
/// μ ~ N(0, <see cref="InitStd"/>²) with <see cref="InitStd"/> = 1, as the public PyTorch ports of the L-GM loss do.
/// The scale matters when the features start with a large norm (batch-normalized ReLU features of a ResNet): with means
/// much closer together than ‖f‖, the α·d_y term first shrinks the features, features and means meet at one point
/// where every d_j is equal, and the loss stays at ln C. Notebook 05 measures this against a small initialization.
/// The prediction rule is not stated; we take the
/// nearest mean, argmin_j d_j (the margin-free logits −d_j).</para>
/// <para>d_j is computed as ½(‖f‖² − 2 f·μ_j + ‖μ_j‖²) with one matmul (N·C·D, no (N, C, D) temporary), which can
/// leave a tiny negative value from rounding when f ≈ μ_j; it is not clamped, so gradients stay exact.</para>
/// <para>Shape: features (N, D) Float32, targets (N) Int64; output 0-d ("mean", "sum") or (N) ("none").
/// Parameter <c>means</c> (C, D).</para>
/// </remarks>
public sealed class GmlLoss : Loss
{
    private float _alpha;

    /// <summary>Feature dimension D.</summary>
    public int InFeatures { get; }

    /// <summary>Number of classes C.</summary>
    public int Classes { get; }

    /// <summary>Learned class means μ (C, D), registered as parameter <c>means</c>.</summary>
    public Tensor Means { get; }

    /// <summary>Multiplicative margin α ≥ 0 on the true-class distance (default 0.7, Table 5.1); 0 is plain CE over −d_j.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative or non-finite value.</exception>
    public float Alpha
    {
        get => _alpha;
        set { LossArgs.AtLeast(nameof(GmlLoss), nameof(Alpha), value, 0f); _alpha = value; }
    }

    /// <summary>Creates the loss and its class means.</summary>
    /// <param name="inFeatures">Feature dimension D.</param>
    /// <param name="classes">Number of classes C (≥ 2).</param>
    /// <param name="alpha">α ≥ 0, default 0.7 (Table 5.1, CIFAR); chapter 6 uses 0.3, ImageNet 0.</param>
    /// <param name="reduction">"mean" (default), "sum" or "none".</param>
    /// <param name="generator">Random source for μ's initialization (default: <see cref="Generator.Default"/>).</param>
    /// <param name="initStd">Standard deviation of μ's normal initialization (default 1; not stated in the thesis).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, fewer than 2 classes, α &lt; 0, or initStd not positive.</exception>
    /// <exception cref="ArgumentException">Unknown reduction.</exception>
    public GmlLoss(int inFeatures, int classes, float alpha = 0.7f, string reduction = "mean", Generator? generator = null, float initStd = 1f)
        : base(reduction)
    {
        LossArgs.Sizes(nameof(GmlLoss), inFeatures, classes);
        if (!(initStd > 0) || float.IsInfinity(initStd))
            throw new ArgumentOutOfRangeException(nameof(initStd), initStd, "GmlLoss: initStd (the standard deviation of the means' initialization) must be positive and finite; the default is 1.");
        InitStd = initStd;
        Alpha = alpha;
        InFeatures = inFeatures; Classes = classes;
        Means = RegisterParameter("means", Tensor.Zeros(classes, inFeatures));
        ResetParameters(generator);
    }

    /// <summary>Standard deviation of μ's initialization N(0, InitStd²) (default 1; the thesis does not state it).</summary>
    public float InitStd { get; }

    /// <summary>Re-draws μ from N(0, <see cref="InitStd"/>²) (our choice: the thesis does not state μ's initialization).</summary>
    public void ResetParameters(Generator? generator = null) => Init.Normal_(Means, 0f, InitStd, generator);

    /// <summary>d_j = ½‖f − μ_j‖² (Eq. 5.8), shape (N, C), differentiable in both f and μ.</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D).</exception>
    public Tensor Distances(Tensor features)
    {
        LossArgs.Features(nameof(GmlLoss), features, InFeatures);
        var ff = features.Square().Sum(1, keepDim: true);          // (N, 1)
        var mm = Means.Square().Sum(1).Unsqueeze(0);               // (1, C)
        return 0.5f * (ff - 2f * features.Matmul(Means.T) + mm);
    }

    /// <summary>Margin-free logits −d_j (N, C).</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D).</exception>
    public Tensor Logits(Tensor features) => -Distances(features);

    /// <summary>Nearest mean argmin_j d_j (N) Int64 (the thesis does not state the rule).</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D).</exception>
    public Tensor Predict(Tensor features)
    {
        using (Torch.NoGrad()) return Distances(features).Argmin(1);
    }

    /// <summary>L_GM (Eq. 5.9) of <paramref name="features"/> (N, D) against class indices <paramref name="target"/> (N).</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D), or targets are not Int64 (N) in [0, C).</exception>
    public override Tensor Forward(Tensor features, Tensor target)
    {
        var d = Distances(features);
        LossArgs.Targets(nameof(GmlLoss), features, target, Classes);
        var logits = -(d * (1f + Alpha * LossArgs.OneHot(target, Classes)));
        return Functional.CrossEntropy(logits, target, reduction: Reduction);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"in_features={InFeatures}, classes={Classes}, alpha={LossArgs.Repr(Alpha)}"
        + (Reduction == "mean" ? "" : $", reduction={Reduction}");
}
