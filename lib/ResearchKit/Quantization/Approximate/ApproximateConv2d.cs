using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// Inference-only integer form of a <see cref="Conv2d"/> whose multiplies go through a (possibly approximate) multiplier:
/// im2col of the input codes (the engine's <see cref="Im2Col"/>; zero padding is code 0), then
/// y[o, p] = s_x·s_w[o]·Σ_k M(col[k, p], w[o, k]) + b_o with M looked up in a <see cref="ProductTable"/>.
/// </summary>
/// <remarks>Quantization, state-dict names and gradients as <see cref="ApproximateLinear"/>. Groups, stride, padding and
/// dilation follow the source layer. Images run in parallel.</remarks>
public sealed class ApproximateConv2d : Module<Tensor, Tensor>
{
    /// <summary>Wraps <paramref name="source"/>'s tensors.</summary>
    /// <param name="source">The float convolution.</param>
    /// <param name="table">Products of the multiplier to use.</param>
    /// <param name="inputMode">Input quantization (default <see cref="ApproximateInputMode.Auto"/>).</param>
    public ApproximateConv2d(Conv2d source, ProductTable table, ApproximateInputMode inputMode = ApproximateInputMode.Auto)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(table);
        Source = source; Table = table; InputMode = inputMode;
        Weight = RegisterParameter("weight", source.Weight);
        if (source.Bias is null) RegisterParameter("bias"); else Bias = RegisterParameter("bias", source.Bias);
    }

    /// <summary>The float layer this one was made from.</summary>
    public Conv2d Source { get; }
    /// <summary>The float weight (out, in/groups, kH, kW) (the source's instance).</summary>
    public Tensor Weight { get; }
    /// <summary>The float bias, or null.</summary>
    public Tensor? Bias { get; }
    /// <summary>The multiplier's products.</summary>
    public ProductTable Table { get; }
    /// <summary>How the input is quantized.</summary>
    public ApproximateInputMode InputMode { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input is not (N, C, H, W) with the layer's channels, is smaller than the
    /// kernel, or holds a value that is not finite.</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        var s = Source;
        if (input.Dim != 4 || input.Size(1) != s.InChannels)
            throw new ArgumentException($"ApproximateConv2d: expected input (N, {s.InChannels}, H, W), got {input.Shape}.", nameof(input));
        var g = new Conv2dGeometry(input.Size(0), s.InChannels, input.Size(2), input.Size(3), s.OutChannels, s.KernelSize.H, s.KernelSize.W,
            s.Stride.H, s.Stride.W, s.Padding.H, s.Padding.W, s.Dilation.H, s.Dilation.W, s.Groups);
        float[] x, w, bias;
        using (Torch.NoGrad())
        {
            x = input.Contiguous().ToArray();
            w = Weight.Contiguous().ToArray();
            bias = Bias?.Contiguous().ToArray() ?? new float[g.OutC];
        }
        int k = g.ColRows, p = g.OutH * g.OutW, og = g.OutC / g.Groups, plane = g.GroupC * g.H * g.W;
        var wq = ApproximateQuantization.WeightCodes(w, g.OutC, k, Table.WeightMax, out var sw);
        var xq = ApproximateQuantization.InputCodes(x, InputMode, Table, nameof(ApproximateConv2d), out double sx);
        var y = new float[g.N * g.OutC * p];
        var table = Table;
        int off = -table.InputMin;
        Parallelism.For(g.N, n =>
        {
            var image = new float[plane];
            var col = new float[k * p];
            var idx = new int[k * p];
            var acc = new long[p];
            for (int grp = 0; grp < g.Groups; grp++)
            {
                int src = (n * g.C + grp * g.GroupC) * g.H * g.W;
                for (int i = 0; i < plane; i++) image[i] = xq[src + i];   // codes are small integers: exact in float
                Im2Col.Unfold(g, image, g.GroupC, 0, g.OutH, col);
                for (int i = 0; i < idx.Length; i++) idx[i] = (int)col[i] + off;
                for (int oo = 0; oo < og; oo++)
                {
                    int o = grp * og + oo;
                    Array.Clear(acc);
                    for (int kk = 0; kk < k; kk++)
                    {
                        int code = wq[o * k + kk];
                        if (table.IsZeroRow(code)) continue;
                        var row = table.Row(code);
                        var cols = idx.AsSpan(kk * p, p);
                        for (int j = 0; j < p; j++) acc[j] += row[cols[j]];
                    }
                    double c = sx * sw[o];
                    var dst = y.AsSpan((n * g.OutC + o) * p, p);
                    for (int j = 0; j < p; j++) dst[j] = (float)(c * acc[j] + bias[o]);
                }
            }
        });
        return Tensor.FromArray(y, g.N, g.OutC, g.OutH, g.OutW);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{Source.ExtraRepr()}, multiplier={Table.Multiplier.Name}, bits={Table.Bits}, input={InputMode}";
}
