using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// One decoder level of a <see cref="ThinUNet"/>: upsample the deeper features ×2 (<c>up</c>), concatenate them after
/// the skip connection along the channels (<c>cat([skip, up(x)], 1)</c>, the common PyTorch order), then a
/// <see cref="UNetDoubleConv"/> (<c>conv</c>).
/// </summary>
/// <remarks>
/// With <see cref="UNetUpsampling.TransposedConv"/>, <c>up</c> is a 2×2 stride-2 <see cref="ConvTranspose2d"/> (with bias)
/// from <c>deepChannels</c> to <c>skipChannels</c>, so the double convolution sees 2·skipChannels; with
/// <see cref="UNetUpsampling.Nearest"/> it is a parameter-free <see cref="UNetNearestUpsample"/> and the double
/// convolution sees deepChannels + skipChannels.
/// <para>The transposed convolution is built directly, not through the <see cref="LayerFactory"/> (which has no
/// transposed convolution); replace <c>up</c> with <see cref="Module.Replace(string, Module)"/> to quantize it.</para>
/// </remarks>
public sealed class UNetUp : Module<Tensor, Tensor>
{
    /// <summary>The upsampling (<c>up</c>).</summary>
    public Module<Tensor, Tensor> Up => Child<Module<Tensor, Tensor>>("up");
    /// <summary>The double convolution (<c>conv</c>).</summary>
    public Module<Tensor, Tensor> Conv => Child<Module<Tensor, Tensor>>("conv");

    /// <summary>The skip connection of this level; set by <see cref="ThinUNet"/> before <c>Forward</c>.</summary>
    internal Tensor? Skip { get; set; }

    /// <summary>Creates the level.</summary>
    /// <param name="deepChannels">Channels of the deeper (lower-resolution) input.</param>
    /// <param name="skipChannels">Channels of the skip connection.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="upsampling">Learned transposed convolution or nearest-neighbour upsampling.</param>
    /// <param name="batchNorm">Batch norm in the double convolution.</param>
    /// <param name="generator">Random source of the initialization.</param>
    /// <param name="layers">Creates the convolutions, norms and ReLUs of the double convolution.</param>
    public UNetUp(int deepChannels, int skipChannels, int outChannels, UNetUpsampling upsampling, bool batchNorm = true,
        Generator? generator = null, LayerFactory? layers = null)
    {
        int upChannels;
        switch (upsampling)
        {
            case UNetUpsampling.TransposedConv:
                RegisterModule<Module<Tensor, Tensor>>("up", new ConvTranspose2d(deepChannels, skipChannels, 2, stride: 2, generator: generator));
                upChannels = skipChannels;
                break;
            case UNetUpsampling.Nearest:
                RegisterModule<Module<Tensor, Tensor>>("up", new UNetNearestUpsample());
                upChannels = deepChannels;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(upsampling), upsampling, "UNetUp: upsampling must be TransposedConv or Nearest.");
        }
        RegisterModule<Module<Tensor, Tensor>>("conv", new UNetDoubleConv(skipChannels + upChannels, outChannels, batchNorm, generator, layers));
    }

    /// <summary>Upsamples <paramref name="deep"/>, concatenates it after <paramref name="skip"/> and applies the double convolution.</summary>
    /// <exception cref="ArgumentException">The upsampled map and the skip connection differ in batch or spatial size.</exception>
    public Tensor Forward(Tensor deep, Tensor skip)
    {
        Skip = skip;
        try { return Forward(deep); }
        finally { Skip = null; }
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        var skip = Skip ?? throw new InvalidOperationException("UNetUp: call Forward(deep, skip); a decoder level needs its skip connection.");
        var up = Up.Forward(input);
        if (up.Size(0) != skip.Size(0) || up.Size(2) != skip.Size(2) || up.Size(3) != skip.Size(3))
            throw new ArgumentException($"UNetUp: upsampled features {up.Shape} do not match the skip connection {skip.Shape}; the input's height and width must be divisible by 2^depth.");
        return Conv.Forward(Torch.Cat([skip, up], 1));
    }
}
