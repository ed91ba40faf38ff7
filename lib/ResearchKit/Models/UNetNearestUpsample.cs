using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// Nearest-neighbour ×2 upsampling of (N, C, H, W) to (N, C, 2H, 2W) (<c>nn.Upsample(scale_factor=2, mode="nearest")</c>,
/// Keras <c>UpSampling2D()</c>): every pixel becomes a 2×2 block. No parameters.
/// </summary>
/// <remarks>
/// Composed from differentiable view operations (unsqueeze, expand, reshape), so the engine needs no dedicated kernel:
/// the gradient of an output pixel block sums back into its source pixel through <c>expand</c>'s backward.
/// </remarks>
public sealed class UNetNearestUpsample : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (input.Dim != 4)
            throw new ArgumentException($"UNetNearestUpsample: expected (N, C, H, W), got {input.Shape}.", nameof(input));
        int n = input.Size(0), c = input.Size(1), h = input.Size(2), w = input.Size(3);
        return input.Reshape(n, c, h, 1, w, 1).Expand(n, c, h, 2, w, 2).Reshape(n, c, 2 * h, 2 * w);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => "scale_factor=2.0, mode='nearest'";
}
