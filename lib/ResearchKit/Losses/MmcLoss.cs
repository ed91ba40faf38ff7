using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Losses;

/// <summary>
/// Max-Mahalanobis Center loss (MMC; Pang et al. 2020, "Rethinking softmax cross-entropy loss for adversarial
/// robustness", ICLR, ref. [77] of the thesis; thesis §6.5.1, Eq. 6.6 = App. A Eq. A.1):
/// <c>L_MMC = ½‖f − μ*_y‖²</c> with preset, fixed class centers μ*; no softmax.
/// </summary>
/// <remarks>
/// <para>The centers are the Max-Mahalanobis centers of Pang et al.'s Algorithm 1 (<see cref="Centers"/>): C points on a
/// sphere of squared radius C_MM whose pairwise inner products are all −C_MM/(C − 1), the most spread-out C points.
/// They are a buffer named <c>centers</c> (saved in the state dict, never trained).</para>
/// <para>What the thesis does not state ("We refer to Pang et al. [77] for the definition of the centers", §A.2): the
/// construction, the radius and the feature dimension. The default follows Pang et al.'s official code
/// (P2333/Max-Mahalanobis-Training, <c>train.py</c>: unit-norm centers from <c>kernel_paras/craft_MMcenters.m</c>
/// multiplied by <c>mean_var</c> = 10), so every center has norm 10, i.e. squared norm C_MM = 100. The ½ and the batch
/// mean follow Eq. 6.6 as printed; Pang et al.'s code has no ½, so its gradients are 2× ours (an lr factor of 2 under
/// plain SGD).</para>
/// <para><see cref="Logits"/> returns −½‖f − μ*_j‖² (the same distance for every class) and <see cref="Predict"/> the
/// nearest center, Pang et al.'s decision rule.</para>
/// <para>Shape: features (N, D) Float32 with D ≥ C − 1, targets (N) Int64; output 0-d ("mean", "sum") or (N) ("none").</para>
/// </remarks>
public sealed class MmcLoss : Loss
{
    /// <summary>The default squared center norm, 100: Pang et al.'s centers have norm <c>mean_var</c> = 10.</summary>
    public const float DefaultCmm = 100f;

    /// <summary>Feature dimension D (≥ C − 1).</summary>
    public int InFeatures { get; }

    /// <summary>Number of classes C.</summary>
    public int Classes { get; }

    /// <summary>Squared norm C_MM of every center (default 100: norm 10, Pang et al.'s <c>mean_var</c>).</summary>
    public float Cmm { get; }

    /// <summary>The preset centers μ* (C, D), buffer <c>centers</c>.</summary>
    public Tensor PresetCenters { get; }

    /// <summary>Creates the loss with the Max-Mahalanobis centers of <see cref="Centers"/>.</summary>
    /// <param name="inFeatures">Feature dimension D (≥ classes − 1).</param>
    /// <param name="classes">Number of classes C (≥ 2).</param>
    /// <param name="cmm">Squared center norm C_MM &gt; 0, default 100 = 10² (Pang et al.'s code scales unit centers by
    /// <c>mean_var</c> = 10; not stated in the thesis).</param>
    /// <param name="reduction">"mean" (default), "sum" or "none".</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, fewer than 2 classes, D &lt; C − 1, or C_MM ≤ 0.</exception>
    /// <exception cref="ArgumentException">Unknown reduction.</exception>
    public MmcLoss(int inFeatures, int classes, float cmm = DefaultCmm, string reduction = "mean") : base(reduction)
    {
        LossArgs.Sizes(nameof(MmcLoss), inFeatures, classes);
        InFeatures = inFeatures; Classes = classes; Cmm = cmm;
        PresetCenters = RegisterBuffer("centers", Centers(classes, inFeatures, cmm));
    }

    /// <summary>
    /// Pang et al.'s Algorithm 1 (GenerateOptMeans): μ_1 = e_1; for i = 2..C, μ_i(j) = −(1/(C−1) + μ_i·μ_j)/μ_j(j) for
    /// j &lt; i, then μ_i(i) = √(1 − ‖μ_i‖²); finally every μ_i is scaled by √C_MM. Computed in double, returned as Float32 (C, D).
    /// </summary>
    /// <remarks>
    /// Result: ‖μ_i‖² = C_MM and μ_i·μ_j = −C_MM/(C − 1) for i ≠ j; coordinates past C − 1 are zero. The algorithm as
    /// printed writes coordinate C of the last center, which is √(1 − ‖μ_C‖²) = 0 in exact arithmetic; we clamp
    /// 1 − ‖μ_i‖² at 0 and skip that coordinate when D = C − 1, so D = C − 1 (the smallest possible) works.
    /// </remarks>
    /// <param name="classes">C ≥ 2.</param>
    /// <param name="dim">D ≥ C − 1.</param>
    /// <param name="cmm">C_MM &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">C &lt; 2, D &lt; C − 1, or C_MM not positive and finite.</exception>
    public static Tensor Centers(int classes, int dim, double cmm)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, $"MmcLoss.Centers: classes must be at least 2, got {classes}.");
        if (dim < classes - 1)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"MmcLoss.Centers: {classes} equiangular centers need dim ≥ classes − 1 = {classes - 1}, got {dim}; widen the feature layer.");
        if (!(cmm > 0) || !double.IsFinite(cmm)) throw new ArgumentOutOfRangeException(nameof(cmm), cmm, $"MmcLoss.Centers: cmm must be positive and finite, got {cmm}.");
        var mu = new double[classes, dim];
        mu[0, 0] = 1;
        for (int i = 1; i < classes; i++)
        {
            for (int j = 0; j < i; j++)
            {
                double dot = 0;
                for (int k = 0; k < j; k++) dot += mu[i, k] * mu[j, k];   // μ_i is zero past coordinate j − 1 so far
                mu[i, j] = -(1.0 / (classes - 1) + dot) / mu[j, j];
            }
            if (i < dim)
            {
                double sq = 0;
                for (int k = 0; k < i; k++) sq += mu[i, k] * mu[i, k];
                mu[i, i] = Math.Sqrt(Math.Max(0, 1 - sq));
            }
        }
        double r = Math.Sqrt(cmm);
        var data = new float[classes * dim];
        for (int i = 0; i < classes; i++)
            for (int k = 0; k < dim; k++) data[i * dim + k] = (float)(r * mu[i, k]);
        return Tensor.FromArray(data, classes, dim);
    }

    /// <summary>½‖f − μ*_j‖² for every class (N, C), differentiable in f.</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D).</exception>
    public Tensor Distances(Tensor features)
    {
        LossArgs.Features(nameof(MmcLoss), features, InFeatures);
        var ff = features.Square().Sum(1, keepDim: true);
        var mm = PresetCenters.Square().Sum(1).Unsqueeze(0);
        return 0.5f * (ff - 2f * features.Matmul(PresetCenters.T) + mm);
    }

    /// <summary>−½‖f − μ*_j‖² (N, C): larger is closer (Pang et al.'s code uses −‖f − μ*_j‖², the same ranking).</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D).</exception>
    public Tensor Logits(Tensor features) => -Distances(features);

    /// <summary>Nearest center argmin_j ‖f − μ*_j‖ (N) Int64.</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D).</exception>
    public Tensor Predict(Tensor features)
    {
        using (Torch.NoGrad()) return Distances(features).Argmin(1);
    }

    /// <summary>L_MMC = ½‖f − μ*_y‖² (Eq. 6.6) per sample, then reduced (default: batch mean).</summary>
    /// <exception cref="ArgumentException">Features are not Float32 (N, D), or targets are not Int64 (N) in [0, C).</exception>
    public override Tensor Forward(Tensor features, Tensor target)
    {
        LossArgs.Features(nameof(MmcLoss), features, InFeatures);
        LossArgs.Targets(nameof(MmcLoss), features, target, Classes);
        // μ*_y: a gather on the CPU; on a device (no gather kernel) the one-hot rows times the centers, which picks each
        // center exactly (every other term is 0·μ).
        var centers = target.Device.IsCpu ? PresetCenters.IndexSelect(0, target) : LossArgs.OneHot(target, Classes).Matmul(PresetCenters);
        var diff = features - centers;
        return LossArgs.Reduce(0.5f * diff.Square().Sum(1), Reduction);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"in_features={InFeatures}, classes={Classes}, cmm={LossArgs.Repr(Cmm)}"
        + (Reduction == "mean" ? "" : $", reduction={Reduction}");
}
