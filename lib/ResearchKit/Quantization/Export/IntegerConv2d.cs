using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;
using Functional = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// A convolution that runs an <see cref="ExportedLayer"/>: im2col, then integer weight codes × integer activation codes with
/// int32 accumulators when the input lies on a known grid (<see cref="ExportedLayer.InputGrid"/>), integer weight codes ×
/// float activations otherwise; the float output is recovered per output channel as
/// y = s_a·s_w·Σ k·j + f_w·s_a·Σ j + b (see <see cref="IntegerExport"/>).
/// </summary>
/// <remarks>Inference only (no gradient). <see cref="Kernel"/> says which multiply-accumulate runs: int8 (<c>vpdpbusd</c>) or
/// binary (AND + popcount) kernels for integer inputs, bit-exact with the scalar reference; the engine's float convolution over
/// the codes for a float input. It registers no tensors: its codes and scales
/// are those of the export, so a model's state dict loses the layer's <c>weight</c>, <c>bias</c> and quantizer entries.</remarks>
public sealed class IntegerConv2d : Module<Tensor, Tensor>
{
    private readonly int[] _codes;

    /// <summary>Builds the layer from an exported convolution.</summary>
    /// <exception cref="ArgumentException"><paramref name="layer"/> is not a convolution.</exception>
    public IntegerConv2d(ExportedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.Kind != ExportedLayerKind.Conv2d)
            throw new ArgumentException($"IntegerConv2d: layer '{layer.Name}' is a {layer.Kind}; use IntegerLinear.", nameof(layer));
        Layer = layer;
        _codes = layer.Codes.Unpack();
        var shape = layer.WeightShape;
        int k = shape[1] * shape[2] * shape[3];
        var grid = layer.InputGrid;
        if (grid is null)
        {
            Kernel = IntegerKernel.FloatInput;
            _floatCodes = Tensor.FromArray(_codes.Select(c => (float)c).ToArray(), shape.ToArray());
            _ones = Tensor.Ones(layer.Conv!.Groups, shape[1], shape[2], shape[3]);
        }
        else if (BinaryConvKernel.Supports(layer, grid))
        {
            Kernel = IntegerKernel.Binary;
            _fast = new BinaryConvKernel(layer, grid, _codes, shape[1], shape[2], shape[3], layer.Conv!);
        }
        else if (Int8ConvKernel.Supports(layer, grid, k))
        {
            Kernel = IntegerKernel.Int8;
            _fast = new Int8ConvKernel(layer, grid, _codes, shape[1], shape[2], shape[3], layer.Conv!);
        }
    }

    private readonly LowBitConvKernel? _fast;
    private readonly Tensor? _floatCodes, _ones;

    /// <summary>The multiply-accumulate this layer runs (chosen from the weight and input bit widths).</summary>
    public IntegerKernel Kernel { get; } = IntegerKernel.Reference;

    /// <summary>The fast kernel behind <see cref="Kernel"/> (int8 or binary), or null on the float-input and reference paths.</summary>
    internal LowBitConvKernel? FastKernel => _fast;

    /// <summary>Test hook: run the scalar reference loops whatever <see cref="Kernel"/> says.</summary>
    internal bool ForceReference { get; set; }

    /// <summary>The exported layer this module runs.</summary>
    public ExportedLayer Layer { get; }

    /// <summary>Whether the multiply-accumulate is integer × integer (the input lies on a grid).</summary>
    public bool IntegerActivations => Layer.InputGrid is not null;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input is not (N, C, H, W) with the layer's input channels.</exception>
    /// <exception cref="InvalidOperationException">The input should lie on the recorded grid and does not.</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        var shape = Layer.WeightShape;
        var geo = Layer.Conv!;
        int outC = shape[0], cg = shape[1], kh = shape[2], kw = shape[3], groups = geo.Groups;
        if (input.Dim != 4 || input.Size(1) != cg * groups)
            throw new ArgumentException($"IntegerConv2d '{Layer.Name}': expected input (N, {cg * groups}, H, W), got {input.Shape}.", nameof(input));
        int n = input.Size(0), h = input.Size(2), w = input.Size(3);
        var (sh, sw) = geo.Stride; var (ph, pw) = geo.Padding; var (dh, dw) = geo.Dilation;
        var (oh, ow) = geo.OutSize(h, w, kh, kw);
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"IntegerConv2d '{Layer.Name}': input {input.Shape} is smaller than the kernel.", nameof(input));
        if (!ForceReference && Kernel == IntegerKernel.FloatInput) return ForwardFloat(input);
        if (!ForceReference && _fast is not null)
        {
            // Pooled output, and no span of the input or the output outlives the call (both stay poolable); every element is written.
            var fast = _fast;
            return SpanKernels.Map(input, [n, outC, oh, ow], (x, y) => fast.Run(x, n, h, w, oh, ow, y));
        }
        float[] x;
        using (Torch.NoGrad()) x = input.Contiguous().ToArray();
        int k = cg * kh * kw, p = oh * ow, og = outC / groups;
        var y = new float[n * outC * p];
        var cols = new float[p * k];
        for (int b = 0; b < n; b++)
            for (int g = 0; g < groups; g++)
            {
                for (int yy = 0; yy < oh; yy++)
                    for (int xx = 0; xx < ow; xx++)
                    {
                        int row = (yy * ow + xx) * k;
                        for (int c = 0; c < cg; c++)
                        {
                            int plane = (b * cg * groups + g * cg + c) * h * w;
                            for (int a = 0; a < kh; a++)
                            {
                                int iy = yy * sh - ph + a * dh;
                                for (int e = 0; e < kw; e++)
                                {
                                    int ix = xx * sw - pw + e * dw;
                                    cols[row + (c * kh + a) * kw + e] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[plane + iy * w + ix] : 0f;
                                }
                            }
                        }
                    }
                IntegerMac.Run(Layer, _codes, g * og, og, k, cols, p, y.AsSpan((b * outC + g * og) * p, og * p));
            }
        return Tensor.FromArray(y, n, outC, oh, ow);
    }

    // Σ k·x and Σ x by the engine's convolution (codes are exact in float32; the sums round as the fake-quantized convolution's
    // do), then the recovery y = s_w·Σ k·x + f_w·Σ x + b in double as IntegerMac does.
    private Tensor ForwardFloat(Tensor input)
    {
        var geo = Layer.Conv!;
        int groups = geo.Groups, outC = Layer.OutChannels, og = outC / groups;
        Tensor kx, sx;
        using (Torch.NoGrad())
        {
            kx = Functional.Conv2d(input, _floatCodes!, null, geo.Stride, geo.Padding, geo.Dilation, groups).Contiguous();
            sx = Functional.Conv2d(input, _ones!, null, geo.Stride, geo.Padding, geo.Dilation, groups).Contiguous();
        }
        int n = kx.Size(0), p = kx.Size(2) * kx.Size(3);
        // Through SpanKernels: a span of a pooled tensor taken with AsSpan would keep its storage from ever being lent again.
        return SpanKernels.Map(kx, sx, kx.Shape.ToArray(), (k, sums, y) =>
        {
            unsafe
            {
                fixed (float* pk = k)
                fixed (float* ps = sums)
                fixed (float* py = y)
                {
                    nint kb = (nint)pk, sb = (nint)ps, yb = (nint)py;
                    // Planes (image, channel) split over the threads; each element's value does not depend on the split.
                    Parallelism.ForRanges(n * outC, 1, (start, count) =>
                    {
                        for (int plane = start; plane < start + count; plane++)
                        {
                            int b = plane / outC, o = plane % outC, gr = Layer.GroupOf(o);
                            RecoverFloatRow(new ReadOnlySpan<float>((float*)kb + (long)plane * p, p), new Span<float>((float*)yb + (long)plane * p, p),
                                new ReadOnlySpan<float>((float*)sb + (long)(b * groups + o / og) * p, p), Layer.Step[gr], Layer.First[gr], Layer.Bias?[o] ?? 0f);
                        }
                    });
                }
            }
        });
    }

    // y = s_w·Σ k·x + f_w·Σ x + b in double, left to right as IntegerMac, four at a time where AVX is (the same operations, so
    // the same bits as the scalar tail).
    private static void RecoverFloatRow(ReadOnlySpan<float> k, Span<float> y, ReadOnlySpan<float> s, double sw, double fw, double bias)
    {
        int i = 0;
        if (Avx.IsSupported)
        {
            var vw = Vector256.Create(sw); var vf = Vector256.Create(fw); var vb = Vector256.Create(bias);
            for (; i + 4 <= y.Length; i += 4)
            {
                var r = vw * Avx.ConvertToVector256Double(Vector128.Create(k.Slice(i, 4))) + vf * Avx.ConvertToVector256Double(Vector128.Create(s.Slice(i, 4))) + vb;
                Avx.ConvertToVector128Single(r).CopyTo(y.Slice(i, 4));
            }
        }
        for (; i < y.Length; i++) y[i] = (float)(sw * k[i] + fw * s[i] + bias);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{Layer.WeightShape[1] * Layer.Conv!.Groups}, {Layer.WeightShape[0]}, kernel_size=({Layer.WeightShape[2]}, {Layer.WeightShape[3]}), " +
        $"stride={Layer.Conv.Stride.ToTupleString()}, padding={Layer.Conv.Padding.ToTupleString()}, weight_bits={Layer.Bits}, " +
        (IntegerActivations ? $"input_bits={Layer.InputGrid!.Bits}" : "input=float");
}
