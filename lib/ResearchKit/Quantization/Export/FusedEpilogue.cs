using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// What the fused integer paths (<see cref="Int8ResNetPipeline"/>, <see cref="BinaryConvStage"/>) apply to a convolution's
/// output while it is in registers: the evaluation batch norm's constants and PACT's code, computed as the modules compute
/// them, so the fused paths give the modules' bits.
/// </summary>
internal static class FusedEpilogue
{
    /// <summary>The PACT α and step of a <see cref="QuantReLU"/>, or why the module is not one.</summary>
    public static (float Alpha, float Step, string? Why) Pact(Module m, string name) =>
        m is QuantReLU { Quantizer: PactActivationQuantizer pact }
            ? (pact.Alpha.Item(), pact.Alpha.Item() / pact.Steps, null)
            : (0f, 0f, $"'{name}' is a {m.GetType().Name}, not a QuantReLU with a PACT quantizer (quantize the model's activations with PACT).");

    /// <summary>Functional.BatchNorm's evaluation constants (y = fma(x, scale, shift)), computed the same way, or null when
    /// <paramref name="bn"/> is not a BatchNorm2d with running statistics.</summary>
    public static (float[] Scale, float[] Shift)? BatchNormConstants(Module bn)
    {
        if (bn is not BatchNorm2d { RunningMean: { } mean, RunningVar: { } var } b) return null;
        var m = mean.ToArray(); var v = var.ToArray(); var wt = b.Weight?.ToArray(); var bs = b.Bias?.ToArray();
        var scale = new float[m.Length]; var shift = new float[m.Length];
        for (int o = 0; o < m.Length; o++)
        {
            float invstd = (float)(1.0 / Math.Sqrt(v[o] + (double)b.Eps));
            scale[o] = (wt?[o] ?? 1f) * invstd;
            shift[o] = (bs?[o] ?? 0f) - m[o] * scale[o];
        }
        return (scale, shift);
    }

    // PACT's code round(clamp(z, 0, α)/step), ties to even, with the raw AVX-512 instructions: the portable Vector512 max/min and
    // conversion also order NaNs and signed zeros and saturate, which cannot change a code here (finite values; a −0 clamps to
    // the code 0 either way; the rounded value is integral).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> PactCodes(Vector512<float> z, Vector512<float> alpha, Vector512<float> step) =>
        Avx512F.ConvertToVector512Int32WithTruncation(Avx512F.RoundScale(Avx512F.Min(Avx512F.Max(z, Vector512<float>.Zero), alpha) / step, 0));
}
