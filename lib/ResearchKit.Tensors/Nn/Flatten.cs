namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Flattens dims <see cref="StartDim"/>..<see cref="EndDim"/> into one (<c>nn.Flatten</c>); by default everything but
/// the batch dim: <c>(N, *)</c> → <c>(N, ∏*)</c>. A view when the input is contiguous.
/// </summary>
public sealed class Flatten : Module<Tensor, Tensor>
{
    /// <summary>First dim to flatten.</summary>
    public int StartDim { get; }

    /// <summary>Last dim to flatten (inclusive; negative counts from the end).</summary>
    public int EndDim { get; }

    /// <summary>Creates the layer.</summary>
    public Flatten(int startDim = 1, int endDim = -1) { StartDim = startDim; EndDim = endDim; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
