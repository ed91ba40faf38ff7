namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Batch normalization over a 2-D <c>(N, C)</c> or 3-D <c>(N, C, L)</c> input (<c>nn.BatchNorm1d</c>); statistics per
/// channel C over N (and L). Shape: output = input. See <see cref="BatchNormBase"/> for the statistics and init.
/// </summary>
public sealed class BatchNorm1d : BatchNormBase
{
    /// <summary>Creates the layer (PyTorch defaults: eps 1e-5, momentum 0.1, affine, tracking running stats).</summary>
    public BatchNorm1d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats) { }

    /// <inheritdoc/>
    protected override void CheckInputDim(Tensor input)
    {
        if (input.Dim != 2 && input.Dim != 3)
            throw new ArgumentException($"BatchNorm1d: expected 2D or 3D input (got {input.Dim}D input of shape {input.Shape}); use BatchNorm2d for (N, C, H, W).");
    }
}
