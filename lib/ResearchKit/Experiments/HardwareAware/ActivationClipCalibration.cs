using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// Clip levels from a float model's own activations: a high percentile of each ReLU's outputs on one batch, used to start
/// PACT's learned clip α where the float model's activations actually lie rather than at PACT's default 10 (which a short
/// fine-tuning hardly moves, leaving most of the 2^b levels unused).
/// </summary>
/// <remarks>Our choice, not PACT's (the PACT paper starts α at 10). The percentile is nearest-rank over every element of the
/// site's output (zeros included); a site whose percentile is 0 falls back to its maximum, and a site that is all zero gets
/// no entry (its quantizer keeps its initial value). The model runs in eval mode (batch norms use their running statistics,
/// which are not updated) under no-grad; its training mode is restored and the hooks removed.</remarks>
public static class ActivationClipCalibration
{
    /// <summary>The <paramref name="percentile"/>-th percentile of each ReLU's output on <paramref name="batch"/>, by module path.</summary>
    /// <param name="model">The float model (its ReLUs must be called through <c>Forward</c>).</param>
    /// <param name="batch">One input batch.</param>
    /// <param name="percentile">In (0, 100].</param>
    /// <exception cref="ArgumentException">Percentile out of range, or the model has no ReLU.</exception>
    public static IReadOnlyDictionary<string, float> Percentiles(Module<Tensor, Tensor> model, Tensor batch, double percentile)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        if (!(percentile > 0 && percentile <= 100))
            throw new ArgumentException($"ActivationClipCalibration: percentile {percentile}; pass a value in (0, 100].", nameof(percentile));
        var relus = model.NamedModules().Where(nm => nm.Module is ReLU).ToList();
        if (relus.Count == 0) throw new ArgumentException("ActivationClipCalibration: the model has no ReLU to calibrate.", nameof(model));
        var result = new Dictionary<string, float>(StringComparer.Ordinal);
        var handles = new List<RemovableHandle>();
        bool wasTraining = model.Training;
        try
        {
            foreach (var (path, m) in relus)
                handles.Add(((Module<Tensor, Tensor>)m).RegisterForwardHook((_, _, y) =>
                {
                    if (Of(y.Contiguous().ToArray(), percentile) is float v) result[path] = v;
                    return y;
                }));
            model.Eval();
            using (Torch.NoGrad()) model.Forward(batch);
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
            model.Train(wasTraining);
        }
        return result;
    }

    /// <summary>Sets α of every PACT activation of <paramref name="quantized"/> whose path has a clip level; returns how many were set.</summary>
    /// <param name="quantized">The model after <see cref="ModelQuantizer.Quantize"/> (a quantized ReLU keeps its ReLU's path).</param>
    /// <param name="clips">Clip levels by module path (<see cref="Percentiles"/> of the float model).</param>
    public static int InitializePact(Module quantized, IReadOnlyDictionary<string, float> clips)
    {
        ArgumentNullException.ThrowIfNull(quantized);
        ArgumentNullException.ThrowIfNull(clips);
        int set = 0;
        foreach (var (path, m) in quantized.NamedModules())
            if (m is QuantAct { Quantizer: PactActivationQuantizer pact } && clips.TryGetValue(path, out float alpha))
            {
                using (Torch.NoGrad()) pact.Alpha.Fill_(alpha);
                set++;
            }
        return set;
    }

    /// <summary>Nearest-rank percentile; the maximum when it is 0; null when every value is 0 (or there is none).</summary>
    internal static float? Of(float[] values, double percentile)
    {
        if (values.Length == 0) return null;
        Array.Sort(values);
        float max = values[^1];
        if (!(max > 0)) return null;
        int rank = (int)Math.Ceiling(percentile / 100.0 * values.Length);
        float v = values[Math.Clamp(rank - 1, 0, values.Length - 1)];
        return v > 0 ? v : max;
    }
}
