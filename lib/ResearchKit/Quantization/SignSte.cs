using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Binarization sign(x) ∈ {−1, +1} (Eq. 2.24, BinaryConnect's deterministic rule) with the hard-tanh straight-through
/// gradient of BinaryConnect/BNN: dy/dx := 1 where |x| ≤ 1 and 0 elsewhere.
/// </summary>
/// <remarks>
/// sign(0) is taken as +1 so that the output is always binary (Eq. 2.24: +1 if x ≥ 0); <c>torch.sign</c> would give 0.
/// The thesis states the forward rule only; the clipped gradient is the BNN one (Courbariaux, Hubara et al. 2016).
/// </remarks>
public sealed class SignSte : Function
{
    /// <summary>Returns +1 where <paramref name="x"/> ≥ 0 and −1 elsewhere; the gradient passes where |x| ≤ 1.</summary>
    public static Tensor Apply(Tensor x) => new SignSte().Apply([x]);

    /// <inheritdoc/>
    protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
    {
        var x = inputs[0].Contiguous();
        ctx.SaveForBackward(x);
        // On a device: sign with 0 → +1, from two device ops (x ≥ 0 gives 1 or 0).
        if (!x.Device.IsCpu) return 2f * x.Ge(0f) - 1f;
        var src = x.AsReadOnlySpan();
        var y = new float[src.Length];
        for (int i = 0; i < y.Length; i++) y[i] = src[i] >= 0f ? 1f : -1f;
        return Tensor.FromArray(y, x.Shape.ToArray());
    }

    /// <inheritdoc/>
    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
    {
        if (!ctx.SavedTensors[0].Device.IsCpu) return [gradOutput * ctx.SavedTensors[0].Abs().Le(1f)];
        var x = ctx.SavedTensors[0].AsReadOnlySpan();
        var mask = new float[x.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = MathF.Abs(x[i]) <= 1f ? 1f : 0f;
        return [gradOutput * Tensor.FromArray(mask, ctx.SavedTensors[0].Shape.ToArray())];
    }
}
