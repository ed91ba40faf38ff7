namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Cross-entropy of logits against Int64 class indices (<c>nn.CrossEntropyLoss</c>), with optional class weights,
/// ignore_index and label smoothing; see <see cref="Functional.CrossEntropy"/> for the exact formula.
/// Shape: logits <c>(N, C)</c> / targets <c>(N)</c>, or <c>(N, C, d1, …)</c> / <c>(N, d1, …)</c>; output 0-d unless reduction "none".
/// </summary>
public sealed class CrossEntropyLoss : Loss
{
    /// <summary>Per-class weight (C), or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Target value that contributes neither loss nor gradient.</summary>
    public int IgnoreIndex { get; }

    /// <summary>Label smoothing ε in [0, 1].</summary>
    public float LabelSmoothing { get; }

    /// <summary>Creates the criterion (PyTorch defaults).</summary>
    /// <exception cref="ArgumentException">Unknown reduction or label smoothing outside [0, 1].</exception>
    public CrossEntropyLoss(Tensor? weight = null, int ignoreIndex = -100, string reduction = "mean", float labelSmoothing = 0f) : base(reduction)
    {
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentException($"CrossEntropyLoss: labelSmoothing must be between 0.0 and 1.0, got {labelSmoothing}.");
        if (weight is not null) Weight = RegisterBuffer("weight", weight);
        IgnoreIndex = ignoreIndex; LabelSmoothing = labelSmoothing;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing);
}
