namespace ResearchKit.Tensors.Nn;

/// <summary>Clamps into [min_val, max_val] (<c>nn.Hardtanh</c>); zero gradient at and beyond the bounds. Shape: output = input.</summary>
public sealed class Hardtanh : Module<Tensor, Tensor>
{
    /// <summary>Lower bound.</summary>
    public float MinVal { get; }

    /// <summary>Upper bound.</summary>
    public float MaxVal { get; }

    /// <summary>Creates the layer (PyTorch defaults −1, 1).</summary>
    /// <exception cref="ArgumentException"><paramref name="minVal"/> &gt; <paramref name="maxVal"/>.</exception>
    public Hardtanh(float minVal = -1f, float maxVal = 1f)
    {
        if (minVal > maxVal) throw new ArgumentException($"Hardtanh: min_val ({minVal}) must not exceed max_val ({maxVal}).");
        MinVal = minVal; MaxVal = maxVal;
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Hardtanh(input, MinVal, MaxVal);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"min_val={PyRepr.Float(MinVal)}, max_val={PyRepr.Float(MaxVal)}";
}
