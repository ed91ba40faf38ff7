using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// A fake quantizer for quantization-aware training (§2.5.3, Fig. 2.17): <see cref="Quantize"/> returns float values that
/// lie on the grid, and its backward pass follows the quantizer's straight-through rule.
/// </summary>
/// <remarks>Like Brevitas' quantizers, each one reports its bit width and its grid next to the quantized values.</remarks>
public interface IQuantizer
{
    /// <summary>Bits needed to store one quantized value (the storage cost of §5.4.2; ternary counts 2).</summary>
    int BitWidth { get; }

    /// <summary>Whether the scale is shared by the whole tensor or per output channel (dimension 0).</summary>
    QuantGranularity Granularity { get; }

    /// <summary>The fake-quantized tensor, same shape as <paramref name="x"/>, differentiable by the quantizer's STE.</summary>
    /// <exception cref="ArgumentException">The input does not fit the quantizer (e.g. a per-channel quantizer on a scalar).</exception>
    Tensor Quantize(Tensor x);

    /// <summary>
    /// The values <see cref="Quantize"/> can return. Grids that depend on the data (BWN's mean|w|, Scaled-Adjust's variance)
    /// need <paramref name="x"/>; fixed grids ignore it.
    /// </summary>
    /// <exception cref="ArgumentException">The grid depends on the data and <paramref name="x"/> is null.</exception>
    QuantGrid Grid(Tensor? x = null);
}
