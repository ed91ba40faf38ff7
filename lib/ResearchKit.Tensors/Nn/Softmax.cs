namespace ResearchKit.Tensors.Nn;

/// <summary>Softmax along <see cref="Dimension"/> (<c>nn.Softmax</c>). Shape: output = input.</summary>
public sealed class Softmax : Module<Tensor, Tensor>
{
    /// <summary>Dimension normalized to sum to 1.</summary>
    public int Dimension { get; }

    /// <summary>Creates the layer; unlike PyTorch the dimension is required (its implicit choice is deprecated).</summary>
    public Softmax(int dim) { Dimension = dim; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Softmax(input, Dimension);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dimension}";
}
