using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// A configurable U-Net for binary or multi-class segmentation, sized for on-board use: the "Thin U-Net 32" of Gernigon
/// et al. 2023 ("Low-Precision Floating-Point for Efficient On-Board Deep Neural Network Processing", arXiv:2311.11172;
/// ship segmentation on the Airbus Ship Detection dataset) is <c>new ThinUNet(baseWidth: 32)</c> under the assumptions
/// listed below.
/// </summary>
/// <remarks>
/// <para>Architecture (Ronneberger et al. 2015, "U-Net", MICCAI, with "same" padding and batch norm): an input
/// <see cref="UNetDoubleConv"/> (<c>inc</c>), <c>depth</c> encoder levels (<c>down1</c>…, 2×2 max pool then a double
/// convolution), <c>depth</c> decoder levels (<c>up1</c>…, ×2 upsampling, concatenation with the encoder output of the
/// same resolution, double convolution) and a 1×1 convolution to <c>numClasses</c> logits (<c>outc</c>). Level i has
/// <c>baseWidth·2^i</c> channels (Ronneberger: 64, 128, 256, 512, 1024 for base 64 and depth 4), or <c>baseWidth</c>
/// everywhere when <c>doubleWidth</c> is false (the constant-width "thin" U-Nets of Vaze et al. 2020).</para>
/// <para>What the Thin U-Net 32 paper's abstract does not state, and this class therefore takes as constructor settings
/// with the common choice as default (see FACTS-unet.md): the depth (default 4, Ronneberger's), whether the width
/// doubles per level (default yes; "32" is read as the first level's width), the upsampling (default
/// <see cref="UNetUpsampling.TransposedConv"/>, Ronneberger's up-convolution), batch norm (default on), the input size
/// and the output activation (none: the model returns logits; apply a sigmoid, or use a logit loss such as
/// <c>BCEWithLogitsLoss</c> or <see cref="Losses.SoftDiceLoss"/>).</para>
/// <para>Parameter names follow the common PyTorch U-Net: <c>inc.conv.0.weight</c>, <c>down1.conv.conv.0.weight</c>,
/// <c>up1.up.weight</c>, <c>up1.conv.conv.0.weight</c>, …, <c>outc.weight</c>, <c>outc.bias</c>. Convolutions are
/// initialized like PyTorch's defaults (the reference U-Nets do not re-initialize). Pass a <see cref="LayerFactory"/> to
/// build quantized convolutions, norms and ReLUs; the transposed convolutions (<c>upK.up</c>) and <c>outc</c> can be
/// swapped with <see cref="Module.Replace(string, Module)"/>.</para>
/// Shape: input (N, inChannels, H, W) with H and W divisible by 2^depth; output (N, numClasses, H, W) logits.
/// </remarks>
public sealed class ThinUNet : Module<Tensor, Tensor>
{
    private readonly int _baseWidth, _depth, _inChannels, _numClasses;
    private readonly bool _doubleWidth, _batchNorm;
    private readonly UNetUpsampling _upsampling;

    /// <summary>Input block (<c>inc</c>).</summary>
    public Module<Tensor, Tensor> Inc => Child<Module<Tensor, Tensor>>("inc");
    /// <summary>Encoder levels <c>down1</c> … <c>down{depth}</c>, highest resolution first.</summary>
    public IReadOnlyList<Module<Tensor, Tensor>> Downs => [.. Enumerable.Range(1, _depth).Select(i => Child<Module<Tensor, Tensor>>($"down{i}"))];
    /// <summary>Decoder levels <c>up1</c> … <c>up{depth}</c>, lowest resolution first.</summary>
    public IReadOnlyList<UNetUp> Ups => [.. Enumerable.Range(1, _depth).Select(i => Child<UNetUp>($"up{i}"))];
    /// <summary>1×1 output convolution (<c>outc</c>).</summary>
    public Module<Tensor, Tensor> OutConv => Child<Module<Tensor, Tensor>>("outc");

    /// <summary>Channels of the first level ("32" in Thin U-Net 32).</summary>
    public int BaseWidth => _baseWidth;
    /// <summary>Number of pooling steps (encoder levels below the input block).</summary>
    public int Depth => _depth;
    /// <summary>Output channels: 1 for a binary mask (one logit per pixel).</summary>
    public int NumClasses => _numClasses;
    /// <summary>Input height and width must be multiples of this (2^depth).</summary>
    public int SizeMultiple => 1 << _depth;

    /// <summary>Channels of level <paramref name="level"/> (0 = input block, depth = bottleneck).</summary>
    public int Width(int level) => _doubleWidth ? _baseWidth << level : _baseWidth;

    /// <summary>Builds the network.</summary>
    /// <param name="baseWidth">Channels of the first level (32 for Thin U-Net 32; Ronneberger's U-Net has 64).</param>
    /// <param name="depth">Pooling steps, 1–8 (default 4, as Ronneberger; not stated for Thin U-Net 32).</param>
    /// <param name="inChannels">Input channels (3 for RGB satellite tiles, 1 for MNIST-like stand-ins).</param>
    /// <param name="numClasses">Output channels (1 = binary mask logits).</param>
    /// <param name="doubleWidth">Double the width at each level (default true); false keeps <paramref name="baseWidth"/> everywhere.</param>
    /// <param name="upsampling">Decoder upsampling (default transposed convolution).</param>
    /// <param name="batchNorm">Batch norm after every 3×3 convolution (default true).</param>
    /// <param name="generator">Random source of the initialization (default <see cref="Generator.Default"/>).</param>
    /// <param name="layers">Creates the 3×3 and 1×1 convolutions, norms and ReLUs (default <see cref="LayerFactory.Default"/>).</param>
    /// <exception cref="ArgumentException">A size is out of range.</exception>
    public ThinUNet(int baseWidth = 32, int depth = 4, int inChannels = 3, int numClasses = 1, bool doubleWidth = true,
        UNetUpsampling upsampling = UNetUpsampling.TransposedConv, bool batchNorm = true, Generator? generator = null, LayerFactory? layers = null)
    {
        if (baseWidth < 1) throw new ArgumentException($"ThinUNet: baseWidth must be positive, got {baseWidth}.", nameof(baseWidth));
        if (depth is < 1 or > 8) throw new ArgumentException($"ThinUNet: depth must be between 1 and 8 pooling steps, got {depth}.", nameof(depth));
        if (inChannels < 1) throw new ArgumentException($"ThinUNet: inChannels must be positive, got {inChannels}.", nameof(inChannels));
        if (numClasses < 1) throw new ArgumentException($"ThinUNet: numClasses must be positive (1 for a binary mask), got {numClasses}.", nameof(numClasses));
        if (doubleWidth && (long)baseWidth << depth > 1 << 20)
            throw new ArgumentException($"ThinUNet: baseWidth {baseWidth} doubled {depth} times is too wide; lower the depth or the base width.", nameof(baseWidth));
        layers ??= LayerFactory.Default;
        _baseWidth = baseWidth; _depth = depth; _inChannels = inChannels; _numClasses = numClasses;
        _doubleWidth = doubleWidth; _batchNorm = batchNorm; _upsampling = upsampling;

        // Registration order = the reference attribute order (inc, down1.., up1.., outc), so the state dict lists keys the same way.
        RegisterModule<Module<Tensor, Tensor>>("inc", new UNetDoubleConv(inChannels, Width(0), batchNorm, generator, layers));
        for (int i = 1; i <= depth; i++)
            RegisterModule<Module<Tensor, Tensor>>($"down{i}", new UNetDown(Width(i - 1), Width(i), batchNorm, generator, layers));
        for (int k = 1; k <= depth; k++)
        {
            int level = depth - k; // up1 brings the bottleneck (level depth) back to level depth − 1
            RegisterModule($"up{k}", new UNetUp(Width(level + 1), Width(level), Width(level), upsampling, batchNorm, generator, layers));
        }
        RegisterModule("outc", layers.Conv2d(Width(0), numClasses, 1, generator: generator));
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (input.Dim != 4 || input.Size(1) != _inChannels)
            throw new ArgumentException($"ThinUNet: expected input (N, {_inChannels}, H, W), got {input.Shape}; construct the model with inChannels: {(input.Dim == 4 ? input.Size(1) : _inChannels)} or convert the images.", nameof(input));
        int h = input.Size(2), w = input.Size(3), m = SizeMultiple;
        if (h % m != 0 || w % m != 0)
            throw new ArgumentException($"ThinUNet: input height and width must be divisible by 2^depth = {m}, got {h}×{w}; pad or crop to {RoundUp(h, m)}×{RoundUp(w, m)} (e.g. Tensor.Pad), or lower the depth.", nameof(input));
        var skips = new Tensor[_depth + 1];
        var x = skips[0] = Inc.Forward(input);
        var downs = Downs;
        for (int i = 1; i <= _depth; i++) x = skips[i] = downs[i - 1].Forward(x);
        var ups = Ups;
        for (int k = 1; k <= _depth; k++) x = ups[k - 1].Forward(x, skips[_depth - k]);
        return OutConv.Forward(x);
    }

    private static int RoundUp(int v, int m) => (v + m - 1) / m * m;

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"base_width={_baseWidth}, depth={_depth}, in_channels={_inChannels}, num_classes={_numClasses}, double_width={(_doubleWidth ? "True" : "False")}, upsampling='{(_upsampling == UNetUpsampling.Nearest ? "nearest" : "transposed_conv")}', batch_norm={(_batchNorm ? "True" : "False")}";
}
