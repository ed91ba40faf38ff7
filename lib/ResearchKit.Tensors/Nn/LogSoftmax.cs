namespace ResearchKit.Tensors.Nn;

/// <summary>log(softmax(x)) along <see cref="Dimension"/> (<c>nn.LogSoftmax</c>). Shape: output = input.</summary>
public sealed class LogSoftmax : Module<Tensor, Tensor>
{
    /// <summary>Dimension over which the log-probabilities are normalized.</summary>
    public int Dimension { get; }

    /// <summary>Creates the layer; the dimension is required.</summary>
    public LogSoftmax(int dim) { Dimension = dim; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.LogSoftmax(input, Dimension);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dimension}";
}
