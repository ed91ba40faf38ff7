namespace ResearchKit.Quantization;

/// <summary>The megabyte used to express a <see cref="MemoryFootprint"/> (§5.4.2: "Mega-Bytes", unit not stated; protocols §2.10).</summary>
public enum MegabyteUnit
{
    /// <summary>1 MB = 10⁶ bytes (SI; the default).</summary>
    Decimal,
    /// <summary>1 MB = 2²⁰ = 1,048,576 bytes (MiB).</summary>
    Binary,
}

/// <summary>
/// How the residual stream is counted when it is kept in float (the LSQ/PACT "*" rows of Table 5.4, where
/// <see cref="QuantSpec.QuantizeResidualAdds"/> is false): the thesis does not say (protocols §2.10, NS).
/// </summary>
public enum ResidualCounting
{
    /// <summary>The outputs of the float (32-bit) activation sites (the blocks' <c>relu2</c>) are stored at 32 bits (default).</summary>
    Float32,
    /// <summary>They are counted at the activation bit width like every other activation, as if the residuals were quantized.</summary>
    ActivationBits,
}

/// <summary>
/// Every choice the thesis leaves open in the memory footprint of Figs. 5.3 and 5.4 (§5.4.2; protocols §2.10 lists them as
/// NS), as explicit arguments of <see cref="MemoryFootprint"/>. The defaults are this kit's choices, not the thesis'.
/// </summary>
/// <param name="BatchNormBits">Bits of each batch-norm value (default 32). A batch norm counts 2 values per channel (γ, β; at
/// inference the running statistics fold with them into one scale and one shift per channel, the same count); its running
/// statistics and <c>num_batches_tracked</c> buffers are not counted separately.</param>
/// <param name="BiasBits">Bits of the biases of convolutions and linear layers, and of the bias a folded batch norm leaves (default 32).</param>
/// <param name="FoldBatchNorm">Whether a batch norm whose input is a convolution's output is folded into that convolution
/// (default false): its 2·C values disappear and the convolution gets a C-value bias at <see cref="BiasBits"/> (none is added
/// when it already has one); the convolution's weights keep their bit width.</param>
/// <param name="ActivationBits">Bits of every activation tensor when set; null (default) = the activation bit width A of the
/// spec (or the one passed with a site report). Float residuals follow <see cref="Residuals"/> either way.</param>
/// <param name="BatchSize">Batch size of the activation tensors (default 1: one image at inference).</param>
/// <param name="CountInput">Whether the input image is a candidate for the biggest activation (default false).</param>
/// <param name="InputBits">Bits of an input value when <see cref="CountInput"/> is true (default 8: CIFAR pixels are 8-bit).</param>
/// <param name="Unit">The megabyte of <see cref="MemoryFootprintResult.TotalMegabytes"/> (default 10⁶ bytes).</param>
/// <param name="Residuals">How 32-bit residuals count (default <see cref="ResidualCounting.Float32"/>).</param>
/// <param name="OtherParameterBits">Bits of any other parameter: the quantizers' learned steps and clipping values
/// (LSQ <c>s</c>, PACT <c>α</c>), and parameters of modules that are neither convolutions, linear layers nor batch norms (default 32).</param>
public sealed record MemoryFootprintOptions(
    int BatchNormBits = 32,
    int BiasBits = 32,
    bool FoldBatchNorm = false,
    int? ActivationBits = null,
    int BatchSize = 1,
    bool CountInput = false,
    int InputBits = 8,
    MegabyteUnit Unit = MegabyteUnit.Decimal,
    ResidualCounting Residuals = ResidualCounting.Float32,
    int OtherParameterBits = 32)
{
    /// <summary>The defaults: 32-bit batch norms and biases, no folding, activations at A, batch 1, no input, 1 MB = 10⁶ bytes, float residuals at 32 bits.</summary>
    public static MemoryFootprintOptions Default { get; } = new();
}
