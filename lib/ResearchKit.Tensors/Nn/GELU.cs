namespace ResearchKit.Tensors.Nn;

/// <summary>
/// GELU x·Φ(x) (<c>nn.GELU</c>); <see cref="Approximate"/> "tanh" uses the tanh approximation. Shape: output = input.
/// </summary>
public sealed class GELU : Module<Tensor, Tensor>
{
    /// <summary>"none" (exact erf form) or "tanh".</summary>
    public string Approximate { get; }

    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentException"><paramref name="approximate"/> is neither "none" nor "tanh".</exception>
    public GELU(string approximate = "none")
    {
        if (approximate != "none" && approximate != "tanh") throw new ArgumentException($"GELU: approximate must be 'none' or 'tanh', got '{approximate}'.");
        Approximate = approximate;
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Gelu(input, Approximate);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"approximate='{Approximate}'";
}
