using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// The U-Net's basic block: two 3×3 "same" convolutions, each followed by batch norm (optional) and a ReLU, as in
/// Ronneberger et al. 2015 (who used unpadded convolutions and no batch norm; padding and batch norm are the usual
/// modern choices, kept so output and input have the same size).
/// </summary>
/// <remarks>
/// The layers live in a <see cref="Sequential"/> registered as <c>conv</c>, so the state-dict keys are
/// <c>conv.0.weight</c>, <c>conv.1.weight</c>/<c>bias</c>/<c>running_mean</c>…, <c>conv.3.weight</c>, <c>conv.4.*</c>
/// (with batch norm) or <c>conv.0.weight</c>, <c>conv.0.bias</c>, <c>conv.2.weight</c>, <c>conv.2.bias</c> (without),
/// the layout of the common PyTorch U-Net. With batch norm the convolutions have no bias (the norm's shift makes it redundant).
/// Shape: (N, inChannels, H, W) → (N, outChannels, H, W).
/// </remarks>
public sealed class UNetDoubleConv : Module<Tensor, Tensor>
{
    private readonly int _in, _out;
    private readonly bool _batchNorm;

    /// <summary>The conv–(bn)–relu–conv–(bn)–relu sequence (<c>conv</c>).</summary>
    public Sequential Layers => Child<Sequential>("conv");

    /// <summary>Creates the block.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels of both convolutions.</param>
    /// <param name="batchNorm">Batch norm after each convolution (default true).</param>
    /// <param name="generator">Random source of the initialization (default <see cref="Generator.Default"/>).</param>
    /// <param name="layers">Creates the convolutions, norms and ReLUs (default <see cref="LayerFactory.Default"/>).</param>
    /// <exception cref="ArgumentException">A channel count is not positive.</exception>
    public UNetDoubleConv(int inChannels, int outChannels, bool batchNorm = true, Generator? generator = null, LayerFactory? layers = null)
    {
        if (inChannels < 1 || outChannels < 1)
            throw new ArgumentException($"UNetDoubleConv: channel counts must be positive, got {inChannels} → {outChannels}.");
        layers ??= LayerFactory.Default;
        _in = inChannels; _out = outChannels; _batchNorm = batchNorm;
        var seq = new Sequential();
        foreach (int cin in (int[])[inChannels, outChannels])
        {
            seq.Append(layers.Conv2d(cin, outChannels, 3, stride: 1, padding: 1, bias: !batchNorm, generator: generator));
            if (batchNorm) seq.Append(layers.BatchNorm2d(outChannels));
            seq.Append(layers.ReLU());
        }
        RegisterModule("conv", seq);
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Layers.Forward(input);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"in_channels={_in}, out_channels={_out}, batch_norm={(_batchNorm ? "True" : "False")}";
}
