namespace ResearchKit.Experiments.Chapter5;

/// <summary>The training loss of a two-stage QAT run (§5.3, protocols §2.5); the same loss is used in both stages (Alg. 5).</summary>
public enum QatLoss
{
    /// <summary>Cross-entropy on the model's own linear classifier (Eq. 2.1): SAT, the baseline of §5.4.</summary>
    CrossEntropy,
    /// <summary>Additive Margin Softmax (Eqs. 5.6–5.7) on a bias-free cosine classifier: DL-QAT+AMS.</summary>
    Ams,
    /// <summary>Gaussian Mixture loss with learned class means (Eqs. 5.8–5.9): DL-QAT+GML.</summary>
    Gml,
    /// <summary>Max-Mahalanobis Center loss with preset, fixed class centers (Eq. 6.6 = Eq. A.1, Pang et al. [77]): DL-QAT+MMC
    /// (App. A) and chapter 6's MMC ensemble member. Needs a feature dimension of at least C − 1.</summary>
    Mmc,
}
