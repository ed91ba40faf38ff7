namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Inverted dropout (<c>nn.Dropout</c>): in training mode zeroes elements with probability p and scales the rest by
/// 1/(1−p); identity in eval mode. Shape: output = input. No parameters.
/// </summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    private readonly Generator? _generator;

    /// <summary>Drop probability.</summary>
    public float P { get; }

    /// <summary>Creates the layer.</summary>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="generator">Mask source; pass a seeded one for reproducible runs (default <see cref="Generator.Default"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout(float p = 0.5f, Generator? generator = null)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout: the drop probability must be between 0 and 1, got {p}.");
        P = p; _generator = generator;
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Dropout(input, P, Training, _generator);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={PyRepr.Float(P)}, inplace=False";
}
