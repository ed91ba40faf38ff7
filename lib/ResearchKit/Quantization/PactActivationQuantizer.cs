using System.Numerics;
using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// PACT activation quantizer (Choi et al. 2018, ref. [19]; §5.2.1, Alg. 5 line 13): y = clamp(x, 0, α), quantized to
/// a = 2^b − 1 steps of α/a, i.e. y_q = round(y·a/α)·α/a ∈ {0, α/a, …, α}, with α a learned scalar.
/// </summary>
/// <remarks>
/// <para>
/// The thesis gives <b>no equation</b> for the activation quantizer; it names PACT "with SAT's improved gradient" [48]
/// and does not specify that gradient. This class implements PACT's own straight-through rule:
/// ∂y_q/∂x = 1 for 0 ≤ x &lt; α and 0 elsewhere; ∂y_q/∂α = 1 for x ≥ α and 0 elsewhere.
/// SAT's modified α gradient (which adds the quantization error inside the range) is not implemented.
/// </para>
/// <para>
/// Not stated in the thesis (PROTOCOLS §2.3): the granularity of α (one per quantizer here, i.e. per layer), its initial
/// value, an L2 penalty on α (PACT regularizes it; add it to the loss if wanted), and whether activations are unsigned
/// (unsigned here, after ReLU).
/// </para>
/// </remarks>
public sealed class PactActivationQuantizer : ILearnedQuantizer
{
    /// <summary>Creates the quantizer with a learnable α.</summary>
    /// <param name="bitWidth">b, in [1, 16].</param>
    /// <param name="initialAlpha">
    /// Initial clipping level α (default 10). The thesis does not state it; 10 is the large start common in PACT
    /// implementations, which PACT's L2 penalty then shrinks. Not checked here against the PACT paper's text.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="bitWidth"/> is outside [1, 16], or <paramref name="initialAlpha"/> ≤ 0.</exception>
    public PactActivationQuantizer(int bitWidth, float initialAlpha = 10f)
    {
        QuantArgs.BitWidth(nameof(PactActivationQuantizer), bitWidth);
        QuantArgs.Positive(nameof(PactActivationQuantizer), nameof(initialAlpha), initialAlpha);
        BitWidth = bitWidth;
        Alpha = Tensor.Scalar(initialAlpha).RequiresGrad_();
    }

    // A quantizer at another bit width over the same α tensor (see WithBitWidth).
    private PactActivationQuantizer(int bitWidth, Tensor alpha)
    {
        QuantArgs.BitWidth(nameof(PactActivationQuantizer), bitWidth);
        BitWidth = bitWidth;
        Alpha = alpha;
    }

    /// <summary>
    /// The same quantizer at <paramref name="bitWidth"/> bits, sharing this one's <see cref="Alpha"/> tensor (not a copy), so
    /// that a layer whose bit width changes during training (AdaQAT) keeps training one clipping level.
    /// </summary>
    /// <param name="bitWidth">b, in [1, 16].</param>
    /// <exception cref="ArgumentException"><paramref name="bitWidth"/> is outside [1, 16].</exception>
    public PactActivationQuantizer WithBitWidth(int bitWidth) => bitWidth == BitWidth ? this : new PactActivationQuantizer(bitWidth, Alpha);

    /// <summary>[("alpha", <see cref="Alpha"/>)].</summary>
    public IReadOnlyList<(string Name, Tensor Parameter)> LearnedParameters => [("alpha", Alpha)];

    /// <inheritdoc/>
    public int BitWidth { get; }

    /// <summary>Always <see cref="QuantGranularity.PerTensor"/>: one α per quantizer.</summary>
    public QuantGranularity Granularity => QuantGranularity.PerTensor;

    /// <summary>The learned clipping level α: a scalar leaf with RequiresGrad, for a module to register (e.g. as <c>alpha</c>) and an optimizer to update.</summary>
    public Tensor Alpha { get; }

    /// <summary>a = 2^b − 1.</summary>
    public int Steps => (1 << BitWidth) - 1;

    /// <summary>y_q = round(clamp(x, 0, α)·a/α)·α/a, differentiable in x and in <see cref="Alpha"/> by PACT's rule.</summary>
    /// <exception cref="ArgumentException">α has been trained to a value ≤ 0 (clamp it, e.g. to a small positive floor).</exception>
    public Tensor Quantize(Tensor x)
    {
        QuantArgs.Groups(nameof(PactActivationQuantizer), x, QuantGranularity.PerTensor);
        return new PactFunction(Steps).Apply(x, Alpha);
    }

    /// <summary>Levels {k·α/a, k = 0..a} for the current α (the data is not needed).</summary>
    public QuantGrid Grid(Tensor? x = null)
    {
        float alpha = Alpha.Item();
        return QuantGrid.Uniform(0f, alpha / Steps, Steps + 1);
    }

    /// <summary>Forward and PACT backward in one op, so that x = α is counted once (to α, not to x).</summary>
    private sealed class PactFunction(int steps) : Function
    {
        public override string Name => "PactBackward";

        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var x = inputs[0].Contiguous();
            float alpha = inputs[1].Item();
            QuantArgs.Positive(nameof(PactActivationQuantizer), "alpha", alpha);
            ctx.SaveForBackward(x);
            ctx.Items["alpha"] = alpha;
            float step = alpha / steps;
            // On a device, the same arithmetic composed from device ops (clamp, divide, round half to even, multiply).
            if (!x.Device.IsCpu) return (x.Clamp(0f, alpha) / step).Round() * step;
            // One fused pass into pooled storage (SpanKernels): clamp to [0, α], round to the grid (ties to even).
            return SpanKernels.Map(x, (src, y) => ForwardKernel(src, y, alpha, step));
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            var x = ctx.SavedTensors[0];
            float alpha = (float)ctx.Items["alpha"];
            if (!x.Device.IsCpu)
            {
                var inside = x.Ge(0f) * x.Lt(alpha);
                return [ctx.NeedsInputGrad(0) ? gradOutput * inside : null, ctx.NeedsInputGrad(1) ? (gradOutput * x.Ge(alpha)).Sum() : null];
            }
            double ga = 0;
            // STE inside the clip range, α collects the gradient of the clipped elements (PACT).
            var gx = SpanKernels.Map(x, gradOutput, (xs, g, o) => ga = BackwardKernel(xs, g, o, alpha));
            return [ctx.NeedsInputGrad(0) ? gx : null, ctx.NeedsInputGrad(1) ? Tensor.Scalar((float)ga) : null];
        }

        private static void ForwardKernel(ReadOnlySpan<float> x, Span<float> y, float alpha, float step)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var zero = Vector<float>.Zero;
                var a = new Vector<float>(alpha);
                var s = new Vector<float>(step);
                for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var c = Vector.Min(Vector.Max(new Vector<float>(x[i..]), zero), a);
                    (Vector.Round(c / s) * s).CopyTo(y[i..]);
                }
            }
            for (; i < x.Length; i++)
                y[i] = MathF.Round(Math.Clamp(x[i], 0f, alpha) / step, MidpointRounding.ToEven) * step;
        }

        private static double BackwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> gx, float alpha)
        {
            double ga = 0;
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var zero = Vector<float>.Zero;
                var a = new Vector<float>(alpha);
                const int Block = 1024; // float partial sums over short blocks, accumulated in double
                while (i <= x.Length - Vector<float>.Count)
                {
                    var partial = Vector<float>.Zero;
                    int end = Math.Min(x.Length - Vector<float>.Count, i + Block);
                    for (; i <= end; i += Vector<float>.Count)
                    {
                        var xv = new Vector<float>(x[i..]);
                        var gv = new Vector<float>(g[i..]);
                        var clipped = Vector.GreaterThanOrEqual(xv, a);
                        var inside = Vector.AndNot(Vector.GreaterThanOrEqual(xv, zero), clipped);
                        Vector.ConditionalSelect(inside, gv, zero).CopyTo(gx[i..]);
                        partial += Vector.ConditionalSelect(clipped, gv, zero);
                    }
                    ga += Vector.Sum(partial);
                }
            }
            for (; i < x.Length; i++)
            {
                if (x[i] >= alpha) { ga += g[i]; gx[i] = 0f; }
                else gx[i] = x[i] >= 0f ? g[i] : 0f;
            }
            return ga;
        }
    }
}
