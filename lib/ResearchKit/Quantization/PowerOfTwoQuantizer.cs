using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Logarithmic (power-of-two) quantizer: x ↦ sign(x)·2^e with e = round(log2|x|) clamped above to
/// <see cref="MaxExponent"/>, and 0 where e &lt; <see cref="MinExponent"/> (or x = 0).
/// </summary>
/// <remarks>
/// <para>
/// The exponent is rounded in the log domain (ties to even), so the switch between 2^e and 2^(e+1) is at 2^(e+0.5),
/// not at the arithmetic midpoint 1.5·2^e; the values below 2^(MinExponent−0.5) go to zero. The thesis only lists
/// logarithmic quantization among the schemes of §2.5 and gives no formula, so these choices are ours.
/// </para>
/// <para>
/// Storage: one sign bit plus ceil(log2(count + 1)) bits for the count = MaxExponent − MinExponent + 1 exponents and the
/// zero code. Gradient: straight-through (1) for |x| ≤ 2^MaxExponent, 0 where it saturates.
/// </para>
/// </remarks>
public sealed class PowerOfTwoQuantizer : IQuantizer
{
    /// <summary>Creates the quantizer.</summary>
    /// <param name="minExponent">Smallest exponent kept (below it values become 0).</param>
    /// <param name="maxExponent">Largest exponent (saturation at ±2^maxExponent).</param>
    /// <exception cref="ArgumentException">minExponent &gt; maxExponent, an exponent outside [−126, 127], or more than 2^15 exponents.</exception>
    public PowerOfTwoQuantizer(int minExponent, int maxExponent)
    {
        if (minExponent > maxExponent)
            throw new ArgumentException($"PowerOfTwoQuantizer: minExponent {minExponent} exceeds maxExponent {maxExponent}; swap them.", nameof(minExponent));
        if (minExponent < -126 || maxExponent > 127)
            throw new ArgumentException($"PowerOfTwoQuantizer: exponents [{minExponent}, {maxExponent}] leave float's normal range [−126, 127]; narrow them.", nameof(minExponent));
        MinExponent = minExponent; MaxExponent = maxExponent;
    }

    /// <summary>Smallest non-zero magnitude is 2^MinExponent.</summary>
    public int MinExponent { get; }

    /// <summary>Largest magnitude is 2^MaxExponent.</summary>
    public int MaxExponent { get; }

    /// <summary>1 + ceil(log2(exponent count + 1)).</summary>
    public int BitWidth
    {
        get
        {
            int codes = MaxExponent - MinExponent + 2;   // exponents plus the zero code
            int bits = 0;
            while ((1 << bits) < codes) bits++;
            return 1 + bits;
        }
    }

    /// <summary>Always per tensor: the exponent range is fixed.</summary>
    public QuantGranularity Granularity => QuantGranularity.PerTensor;

    /// <summary>sign(x)·2^clamp(round(log2|x|)), 0 below 2^MinExponent's rounding range.</summary>
    public Tensor Quantize(Tensor x)
    {
        QuantArgs.Groups(nameof(PowerOfTwoQuantizer), x, QuantGranularity.PerTensor);
        return new Log2Ste(MinExponent, MaxExponent).Apply(x);
    }

    /// <summary>Levels −2^max … −2^min, 0, 2^min … 2^max (non-uniform: no step).</summary>
    public QuantGrid Grid(Tensor? x = null)
    {
        int count = MaxExponent - MinExponent + 1;
        var l = new float[2 * count + 1];
        for (int k = 0; k < count; k++)
        {
            float p = MathF.ScaleB(1f, MinExponent + k);
            l[count + 1 + k] = p;
            l[count - 1 - k] = -p;
        }
        return new QuantGrid([l], null);
    }

    private sealed class Log2Ste(int eMin, int eMax) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var x = inputs[0].Contiguous();
            ctx.SaveForBackward(x);
            var src = x.AsReadOnlySpan();
            var y = new float[src.Length];
            for (int i = 0; i < y.Length; i++)
            {
                float a = MathF.Abs(src[i]);
                if (a == 0f) continue;
                float e = MathF.Round(MathF.Log2(a), MidpointRounding.ToEven);
                if (e < eMin) continue;
                y[i] = MathF.CopySign(MathF.ScaleB(1f, (int)Math.Min(e, eMax)), src[i]);
            }
            return Tensor.FromArray(y, x.Shape.ToArray());
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            var xt = ctx.SavedTensors[0];
            var x = xt.AsReadOnlySpan();
            float hi = MathF.ScaleB(1f, eMax);
            var mask = new float[x.Length];
            for (int i = 0; i < mask.Length; i++) mask[i] = MathF.Abs(x[i]) <= hi ? 1f : 0f;
            return [gradOutput * Tensor.FromArray(mask, xt.Shape.ToArray())];
        }
    }
}
