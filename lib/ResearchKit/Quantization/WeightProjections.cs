using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>Reading and writing the weight values of an <see cref="IWeightProjection"/> (no autograd involved).</summary>
internal static class WeightProjections
{
    /// <summary>The values of <paramref name="w"/> as a fresh array, without recording a graph.</summary>
    public static float[] Values(string who, Tensor w)
    {
        ArgumentNullException.ThrowIfNull(w);
        QuantArgs.Groups(who, w, QuantGranularity.PerTensor); // checks Float32
        using (GradMode.Set(false)) return w.Detach().Contiguous().ToArray();
    }

    /// <summary>mean|w| in double (0 for an empty tensor).</summary>
    public static double MeanAbs(float[] w)
    {
        double s = 0;
        foreach (var v in w) s += MathF.Abs(v);
        return w.Length == 0 ? 0 : s / w.Length;
    }

    /// <summary><paramref name="values"/> shaped like <paramref name="w"/> and on its device, without gradient.</summary>
    /// <remarks>On a device the projection runs on the host copy (a model's weights, once per forward) and its result is
    /// uploaded: the same values as on the CPU, bit for bit.</remarks>
    public static Tensor Like(float[] values, Tensor w) => Tensor.FromArray(values, w.Shape.ToArray(), w.Device);
}
