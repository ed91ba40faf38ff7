namespace ResearchKit.Tensors.Nn;

/// <summary>x if x &gt; 0 else slope·x (<c>nn.LeakyReLU</c>). Shape: output = input.</summary>
public sealed class LeakyReLU : Module<Tensor, Tensor>
{
    /// <summary>Slope for negative inputs.</summary>
    public float NegativeSlope { get; }

    /// <summary>Creates the layer (PyTorch default slope 0.01).</summary>
    public LeakyReLU(float negativeSlope = 0.01f) { NegativeSlope = negativeSlope; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.LeakyRelu(input, NegativeSlope);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"negative_slope={PyRepr.Float(NegativeSlope)}";
}
