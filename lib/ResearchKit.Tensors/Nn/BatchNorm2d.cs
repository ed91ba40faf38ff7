namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Batch normalization over a 4-D <c>(N, C, H, W)</c> input (<c>nn.BatchNorm2d</c>); statistics per channel over
/// N·H·W. Shape: output = input. See <see cref="BatchNormBase"/> for the statistics and init.
/// </summary>
public sealed class BatchNorm2d : BatchNormBase
{
    /// <summary>Creates the layer (PyTorch defaults: eps 1e-5, momentum 0.1, affine, tracking running stats).</summary>
    public BatchNorm2d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats) { }

    /// <inheritdoc/>
    protected override void CheckInputDim(Tensor input)
    {
        if (input.Dim != 4)
            throw new ArgumentException($"BatchNorm2d: expected 4D input (got {input.Dim}D input of shape {input.Shape}); use BatchNorm1d for (N, C) or (N, C, L).");
    }
}
