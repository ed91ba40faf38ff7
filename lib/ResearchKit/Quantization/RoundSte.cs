using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Round to nearest (ties to even, like <c>torch.round</c>) with a straight-through gradient: dy/dx := 1 everywhere
/// (the STE of §2.5.3, used for the uniform quantizer of Eq. 5.3 and LSQ).
/// </summary>
/// <remarks>
/// The thesis takes dq/dW ≈ identity (§2.5.3) without saying how ties are broken; ties to even is PyTorch's rule.
/// Brevitas' <c>round_ste</c> plays the same part.
/// </remarks>
/// <example><code>var y = RoundSte.Apply(x);   // [0.4, 0.6, 2.5] → [0, 1, 2], gradient [1, 1, 1]</code></example>
public sealed class RoundSte : Function
{
    /// <summary>Rounds <paramref name="x"/> to the nearest integer; the backward pass lets the gradient through unchanged.</summary>
    public static Tensor Apply(Tensor x) => new RoundSte().Apply([x]);

    /// <inheritdoc/>
    protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) => inputs[0].Round();

    /// <inheritdoc/>
    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput];
}
