using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// Inference-only integer form of a <see cref="Linear"/> layer whose multiplies go through a (possibly approximate)
/// multiplier: y_o = s_x·s_w[o]·Σ_i M(x_i, w_oi) + b_o, with M looked up in a <see cref="ProductTable"/>.
/// </summary>
/// <remarks>
/// Weights get per-output-channel symmetric b-bit codes and the input per-tensor b-bit codes (see
/// <see cref="ApproximateQuantization"/> and <see cref="ApproximateInputMode"/>), re-derived from the float tensors at every
/// call so a later <c>LoadStateDict</c> is honoured; products accumulate in a long per output and are rescaled in double;
/// the bias stays float. The layer registers the source's <c>weight</c> and <c>bias</c> tensors under the same names, so the
/// model's state dict is unchanged. No gradient flows (the output is a fresh leaf).
/// </remarks>
public sealed class ApproximateLinear : Module<Tensor, Tensor>
{
    /// <summary>Wraps <paramref name="source"/>'s tensors.</summary>
    /// <param name="source">The float layer.</param>
    /// <param name="table">Products of the multiplier to use.</param>
    /// <param name="inputMode">Input quantization (default <see cref="ApproximateInputMode.Auto"/>).</param>
    public ApproximateLinear(Linear source, ProductTable table, ApproximateInputMode inputMode = ApproximateInputMode.Auto)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(table);
        Source = source; Table = table; InputMode = inputMode;
        Weight = RegisterParameter("weight", source.Weight);
        if (source.Bias is null) RegisterParameter("bias"); else Bias = RegisterParameter("bias", source.Bias);
    }

    /// <summary>The float layer this one was made from.</summary>
    public Linear Source { get; }
    /// <summary>The float weight (out, in) (the source's instance).</summary>
    public Tensor Weight { get; }
    /// <summary>The float bias, or null.</summary>
    public Tensor? Bias { get; }
    /// <summary>The multiplier's products.</summary>
    public ProductTable Table { get; }
    /// <summary>How the input is quantized.</summary>
    public ApproximateInputMode InputMode { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input's last dimension is not in_features, or a value is not finite.</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        int inF = Source.InFeatures, outF = Source.OutFeatures;
        if (input.Dim < 1 || input.Size(input.Dim - 1) != inF)
            throw new ArgumentException($"ApproximateLinear: expected input (..., {inF}), got {input.Shape}.", nameof(input));
        float[] x, w, bias;
        using (Torch.NoGrad())
        {
            x = input.Contiguous().ToArray();
            w = Weight.Contiguous().ToArray();
            bias = Bias?.Contiguous().ToArray() ?? new float[outF];
        }
        int rows = x.Length / inF;
        var wq = ApproximateQuantization.WeightCodes(w, outF, inF, Table.WeightMax, out var sw);
        var xq = ApproximateQuantization.InputCodes(x, InputMode, Table, nameof(ApproximateLinear), out double sx);
        var y = new float[rows * outF];
        var table = Table;
        Parallelism.For(Math.Min(rows, Parallelism.Threads), chunk =>
        {
            int chunks = Math.Min(rows, Parallelism.Threads);
            int r0 = (int)((long)rows * chunk / chunks), r1 = (int)((long)rows * (chunk + 1) / chunks);
            for (int r = r0; r < r1; r++)
                for (int o = 0; o < outF; o++)
                {
                    long acc = 0;
                    for (int i = 0; i < inF; i++)
                        acc += table.Row(wq[o * inF + i])[xq[r * inF + i] - table.InputMin];
                    y[r * outF + o] = (float)(sx * sw[o] * acc + bias[o]);
                }
        });
        var shape = input.Shape.ToArray();
        shape[^1] = outF;
        return Tensor.FromArray(y, shape);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{Source.ExtraRepr()}, multiplier={Table.Multiplier.Name}, bits={Table.Bits}, input={InputMode}";
}
