namespace ResearchKit.Tensors.Nn;

/// <summary>log(1 + e^{βx})/β, linear where βx &gt; threshold (<c>nn.Softplus</c>). Shape: output = input.</summary>
public sealed class Softplus : Module<Tensor, Tensor>
{
    /// <summary>Sharpness β.</summary>
    public float Beta { get; }

    /// <summary>Above βx = threshold the function is the identity.</summary>
    public float Threshold { get; }

    /// <summary>Creates the layer (PyTorch defaults β = 1, threshold = 20).</summary>
    public Softplus(float beta = 1f, float threshold = 20f) { Beta = beta; Threshold = threshold; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Softplus(input, Beta, Threshold);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"beta={PyRepr.Number(Beta)}, threshold={PyRepr.Number(Threshold)}";
}
