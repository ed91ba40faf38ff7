using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// BinaryConnect's stochastic binarization (Courbariaux et al. 2015; Eq. 2.25, §2.5): +1 with probability
/// p = hard_sigmoid(x) = clamp((x + 1)/2, 0, 1), −1 otherwise.
/// </summary>
/// <remarks>
/// <para>
/// One uniform draw per element, in row-major order, from the <see cref="Generator"/> given at construction: the same
/// seed gives the same output. Gradient: the hard-tanh straight-through rule (1 for |x| ≤ 1, 0 elsewhere), as
/// <see cref="SignSte"/>. The thesis gives only the forward rule; BinaryConnect also clips the real weights to [−1, 1]
/// after each update, which is the optimizer's business, not this quantizer's.
/// </para>
/// </remarks>
public sealed class StochasticBinaryQuantizer : IQuantizer
{
    private readonly Generator _generator;

    /// <summary>Creates the quantizer drawing from <paramref name="generator"/>.</summary>
    /// <param name="generator">The random source (seed it for reproducible runs); it is advanced by one draw per element.</param>
    /// <exception cref="ArgumentNullException"><paramref name="generator"/> is null.</exception>
    public StochasticBinaryQuantizer(Generator generator) { _generator = generator ?? throw new ArgumentNullException(nameof(generator)); }

    /// <summary>1.</summary>
    public int BitWidth => 1;

    /// <summary>Per tensor (there is no scale).</summary>
    public QuantGranularity Granularity => QuantGranularity.PerTensor;

    /// <summary>hard_sigmoid(x) = clamp((x + 1)/2, 0, 1), the probability of +1.</summary>
    public static float HardSigmoid(float x) => Math.Clamp((x + 1f) * 0.5f, 0f, 1f);

    /// <summary>A sample of {−1, +1} per element, P(+1) = hard_sigmoid(x).</summary>
    public Tensor Quantize(Tensor x)
    {
        QuantArgs.Groups(nameof(StochasticBinaryQuantizer), x, QuantGranularity.PerTensor);
        return new StochasticSignSte(_generator).Apply(x);
    }

    /// <summary>Levels {−1, +1}.</summary>
    public QuantGrid Grid(Tensor? x = null) => QuantGrid.Uniform(-1f, 2f, 2);

    private sealed class StochasticSignSte(Generator generator) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var x = inputs[0].Contiguous();
            ctx.SaveForBackward(x);
            var src = x.AsReadOnlySpan();
            var y = new float[src.Length];
            // u < p with u uniform in [0, 1): P(+1) = p exactly, and p = 0 never gives +1.
            for (int i = 0; i < y.Length; i++) y[i] = generator.NextFloat() < HardSigmoid(src[i]) ? 1f : -1f;
            return Tensor.FromArray(y, x.Shape.ToArray());
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            var xt = ctx.SavedTensors[0];
            var x = xt.AsReadOnlySpan();
            var mask = new float[x.Length];
            for (int i = 0; i < mask.Length; i++) mask[i] = MathF.Abs(x[i]) <= 1f ? 1f : 0f;
            return [gradOutput * Tensor.FromArray(mask, xt.Shape.ToArray())];
        }
    }
}
