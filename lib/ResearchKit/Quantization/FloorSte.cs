using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Floor with a straight-through gradient (dy/dx := 1): the ⌊·⌋ that the extracted Eq. 5.3 prints,
/// q(x) = ⌊a·x⌋ / a (§5.2.1).
/// </summary>
/// <remarks>
/// The cited DoReFa and SAT papers round to nearest; the floor brackets may be an extraction or typesetting artefact,
/// so <see cref="DoReFaWeightQuantizer"/> uses it only with <see cref="RoundingMode.Floor"/>. With b = 1 a literal
/// floor sends every weight but the largest to −1 (PROTOCOLS §2.2).
/// </remarks>
public sealed class FloorSte : Function
{
    /// <summary>Floors <paramref name="x"/>; the backward pass lets the gradient through unchanged.</summary>
    public static Tensor Apply(Tensor x) => new FloorSte().Apply([x]);

    /// <inheritdoc/>
    protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) => inputs[0].Floor();

    /// <inheritdoc/>
    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput];
}
