using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>Argument checks and per-channel layout shared by the quantizers.</summary>
internal static class QuantArgs
{
    /// <summary>Uniform quantizers enumerate their grid, so the width is capped where a float still resolves every level.</summary>
    public const int MaxUniformBits = 16;

    public static void BitWidth(string who, int bits, int min = 1, int max = MaxUniformBits)
    {
        if (bits < min || bits > max)
            throw new ArgumentException($"{who}: bit width {bits} is out of range; pass a bit width in [{min}, {max}].", "bitWidth");
    }

    public static void Positive(string who, string name, float value)
    {
        if (!(value > 0f) || float.IsInfinity(value))
            throw new ArgumentException($"{who}: {name} must be a positive finite number, got {value}; pass a value > 0.", name);
    }

    /// <summary>Number of scale groups: 1 per tensor, or the size of dimension 0 per channel.</summary>
    public static int Groups(string who, Tensor x, QuantGranularity g)
    {
        if (x.DType != DType.Float32) throw new ArgumentException($"{who}: expected a Float32 tensor, got {x.DType}; convert it with Float().", nameof(x));
        if (g == QuantGranularity.PerTensor) return 1;
        if (x.Dim < 1 || x.Size(0) == 0)
            throw new ArgumentException($"{who}: per-channel quantization needs a tensor with output channels on dimension 0, got shape {x.Shape}; use QuantGranularity.PerTensor.", nameof(x));
        return x.Size(0);
    }

    /// <summary>The tensor as (groups, elements per group), so a reduction over dimension 1 gives one value per group.</summary>
    public static Tensor Grouped(Tensor x, int groups) => x.Reshape(groups, -1);
}
