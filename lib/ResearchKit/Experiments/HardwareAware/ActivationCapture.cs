using ResearchKit.Quantization.Analysis;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// Reads a trained model's real weights and activations layer by layer: forward pre-hooks on every <see cref="Conv2d"/> and
/// <see cref="Linear"/> record the input each one receives while the model runs in eval mode under no-grad, so the values are
/// those a quantized accelerator would have to represent.
/// </summary>
/// <remarks>Children must be called through <c>Forward</c> (the engine's convention) for their hooks to run; a layer that never
/// ran is reported with no inputs. The model's training mode is restored afterwards and the hooks removed.</remarks>
public static class ActivationCapture
{
    /// <summary>Runs <paramref name="inputs"/> through <paramref name="model"/> and returns each layer's weights and inputs, in module order.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="inputs">A batch (N, …), already through the model's input pipeline.</param>
    /// <param name="batchSize">Inputs per forward pass (memory only: eval-mode layers treat rows independently).</param>
    /// <exception cref="ArgumentException">The model has no convolution or linear layer, inputs are not a batch, or batchSize &lt; 1.</exception>
    public static IReadOnlyList<LayerTensors> Capture(Module<Tensor, Tensor> model, Tensor inputs, int batchSize = 100)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        if (batchSize < 1) throw new ArgumentException($"ActivationCapture: batchSize {batchSize}; pass ≥ 1.", nameof(batchSize));
        if (inputs.Dim < 1 || inputs.Size(0) < 1) throw new ArgumentException($"ActivationCapture: inputs must be a batch (N, …) with N ≥ 1, got shape {inputs.Shape}.", nameof(inputs));
        var layers = model.NamedModules().Where(nm => nm.Module is Conv2d or Linear).ToList();
        if (layers.Count == 0) throw new ArgumentException("ActivationCapture: the model has no Conv2d or Linear layer.", nameof(model));
        var seen = layers.Select(_ => new List<float[]>()).ToArray();
        var handles = new List<RemovableHandle>();
        bool wasTraining = model.Training;
        try
        {
            for (int i = 0; i < layers.Count; i++)
            {
                var sink = seen[i];
                handles.Add(((Module<Tensor, Tensor>)layers[i].Module).RegisterForwardPreHook((_, x) => sink.Add(x.Detach().Contiguous().ToArray())));
            }
            model.Eval();
            using var noGrad = Torch.NoGrad();
            int n = inputs.Size(0);
            for (int s = 0; s < n; s += batchSize) model.Forward(inputs.Narrow(0, s, Math.Min(batchSize, n - s)));
        }
        finally
        {
            foreach (var h in handles) h.Remove();
            model.Train(wasTraining);
        }
        return layers.Select((nm, i) =>
        {
            var w = nm.Module is Conv2d c ? c.Weight : ((Linear)nm.Module).Weight;
            float[] weights;
            using (Torch.NoGrad()) weights = w.Detach().Contiguous().ToArray();
            return new LayerTensors(nm.Name, nm.Module.GetType().Name, weights, seen[i].SelectMany(a => a).ToArray());
        }).ToList();
    }

    /// <summary>
    /// <see cref="FormatComparison"/> of every layer's weights and inputs at every width: rows (layer, "weights"/"activations", b).
    /// Layers whose captured tensor is empty are skipped.
    /// </summary>
    /// <param name="layers">From <see cref="Capture"/>.</param>
    /// <param name="bitWidths">The widths b (e.g. 4..8 and 16).</param>
    /// <param name="minExponentBits">Smallest minifloat exponent tried.</param>
    public static IReadOnlyList<LayerFormatComparison> CompareFormats(IReadOnlyList<LayerTensors> layers, IReadOnlyList<int> bitWidths,
        int minExponentBits = FormatComparison.DefaultMinExponentBits)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(bitWidths);
        var rows = new List<LayerFormatComparison>();
        foreach (var l in layers)
            foreach (var (what, values) in new[] { ("weights", l.Weights), ("activations", l.Inputs) })
            {
                if (values.Length == 0) continue;
                foreach (int b in bitWidths) rows.Add(new LayerFormatComparison(l.Path, l.Kind, what, FormatComparison.Compare(values, b, minExponentBits)));
            }
        return rows;
    }
}
