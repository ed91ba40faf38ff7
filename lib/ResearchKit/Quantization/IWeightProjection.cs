using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// The projection P of Binary-Relax (Yin et al. 2018) onto a quantized weight set, one scale per tensor: P(w) is the
/// element of the set the method treats as nearest to <c>w</c> (exactly nearest for the binary projection, a
/// threshold approximation for the ternary and multi-bit ones, as in the BinaryRelax code).
/// </summary>
/// <remarks>Unlike <see cref="IQuantizer"/>, a projection has no gradient: <see cref="BinaryRelaxQuantizer"/> decides how the
/// gradient flows (straight through to the float weights).</remarks>
public interface IWeightProjection
{
    /// <summary>A short name for reports and logs, e.g. <c>"binary"</c>, <c>"ternary"</c>, <c>"4-bit"</c>.</summary>
    string Name { get; }

    /// <summary>Bits needed to store one projected weight (ternary counts 2).</summary>
    int BitWidth { get; }

    /// <summary>P(w): same shape as <paramref name="w"/>, every value in <see cref="Grid"/>(<paramref name="w"/>); carries no gradient.</summary>
    /// <exception cref="ArgumentException"><paramref name="w"/> is not a Float32 tensor.</exception>
    Tensor Project(Tensor w);

    /// <summary>The values <see cref="Project"/> can return for <paramref name="w"/> (the scale depends on the weights).</summary>
    /// <exception cref="ArgumentException"><paramref name="w"/> is not a Float32 tensor.</exception>
    QuantGrid Grid(Tensor w);
}
