namespace ResearchKit.Tensors.Nn;

/// <summary>Smooth L1 / Huber-like loss with threshold β (<c>nn.SmoothL1Loss</c>). Shape: input and target equal.</summary>
public sealed class SmoothL1Loss : Loss
{
    /// <summary>Threshold between the quadratic and linear parts.</summary>
    public float Beta { get; }

    /// <summary>Creates the criterion.</summary>
    /// <exception cref="ArgumentException">β &lt; 0 or unknown reduction.</exception>
    public SmoothL1Loss(string reduction = "mean", float beta = 1f) : base(reduction)
    {
        if (!(beta >= 0f)) throw new ArgumentException($"SmoothL1Loss: beta must be non-negative, got {beta}.");
        Beta = beta;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.SmoothL1Loss(input, target, Reduction, Beta);
}
