using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// One encoder level of a <see cref="ThinUNet"/>: 2×2 max pooling with stride 2 (<c>pool</c>) then a
/// <see cref="UNetDoubleConv"/> (<c>conv</c>). Shape: (N, inChannels, H, W) → (N, outChannels, H/2, W/2).
/// </summary>
public sealed class UNetDown : Module<Tensor, Tensor>
{
    /// <summary>The pooling (<c>pool</c>, no parameters).</summary>
    public Module<Tensor, Tensor> Pool => Child<Module<Tensor, Tensor>>("pool");
    /// <summary>The double convolution (<c>conv</c>).</summary>
    public Module<Tensor, Tensor> Conv => Child<Module<Tensor, Tensor>>("conv");

    /// <summary>Creates the level.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="batchNorm">Batch norm in the double convolution.</param>
    /// <param name="generator">Random source of the initialization.</param>
    /// <param name="layers">Creates the convolutions, norms and ReLUs.</param>
    public UNetDown(int inChannels, int outChannels, bool batchNorm = true, Generator? generator = null, LayerFactory? layers = null)
    {
        RegisterModule<Module<Tensor, Tensor>>("pool", new MaxPool2d(2, 2));
        RegisterModule<Module<Tensor, Tensor>>("conv", new UNetDoubleConv(inChannels, outChannels, batchNorm, generator, layers));
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Conv.Forward(Pool.Forward(input));
}
