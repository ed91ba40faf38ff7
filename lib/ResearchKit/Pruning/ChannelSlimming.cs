using System.Diagnostics;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Pruning;

/// <summary>
/// Measures what removing zero filters (channel sparsity, <see cref="ChannelSparsity"/>) actually gains: for every
/// convolution with zero filters, and for the next convolution of the same block that consumes its output, the parameters,
/// the multiply-accumulates and the measured time of the convolution at its full shape and at the reduced shape.
/// </summary>
/// <remarks>
/// <para><b>What is timed.</b> Each affected convolution is run alone (<see cref="Functional.Conv2d"/> on a random input
/// of the shape it sees in the model's forward pass, batch included), once to warm up and then
/// <c>repetitions</c> times; the median is reported. The reduced run uses the weight with the zero filters deleted (fewer
/// output channels) and, for the consuming convolution, the input channels of the producer's deleted filters deleted
/// (fewer input channels). The timing is of these reduced shapes, not of a rebuilt network: the batch norms, ReLUs and
/// residual sums around them are not timed, and a convolution whose output enters a residual sum would in a real slim
/// network also need its remaining channels scattered back into the full width. On this CPU engine small convolutions are
/// dominated by overheads, so the time ratio can be far from the MAC ratio; report both.</para>
/// <para><b>When removal is exact.</b> A zero filter outputs its bias (0 without one) everywhere. Removing it, and the
/// matching input channel of the next convolution, is exact only where what follows maps that constant to 0 — here the
/// block's batch norm and ReLU (conv1 → bn → ReLU → conv2 in <see cref="PreActBasicBlock"/>, <see cref="BasicBlock"/>,
/// and the 1×1 → 3×3 → 1×1 chain of <see cref="PreActBottleneck"/>). In evaluation the batch norm turns the constant b
/// into β + γ·(b − μ)/√(σ² + ε); the ReLU gives 0 iff that is ≤ 0, and such filters are counted in
/// <see cref="ChannelSlimmingRow.RemovableFilters"/>. A positive value leaves a constant map that, because the next
/// convolution zero-pads its input, cannot be folded into that convolution's bias (the border taps see the padding, not
/// the constant), so those filters cannot be removed exactly. Convolutions without such a batch norm inside the block
/// (stem, second convolution, projections) are reported with <c>RemovableFilters</c> null: not assessed. Grouped
/// convolutions are skipped.</para>
/// <para>The shape pass runs the model once in evaluation mode on a seeded random input with Feynman-Kac noise switched
/// off, then restores the training mode and the noise settings, so the model's noise generators are not advanced.</para>
/// </remarks>
public sealed class ChannelSlimming
{
    private ChannelSlimming(List<ChannelSlimmingRow> layers, int[] inputShape, int repetitions)
    {
        Layers = layers; InputShape = inputShape; Repetitions = repetitions;
        int? removable = layers.Any(r => r.RemovableFilters is not null) ? layers.Sum(r => r.RemovableFilters ?? 0) : null;
        Total = new ChannelSlimmingRow("Total", layers.Sum(r => r.OutputChannels), layers.Sum(r => r.InputChannels),
            layers.Sum(r => r.RemovedFilters), layers.Sum(r => r.RemovedInputs), removable,
            layers.Sum(r => r.ParamsBefore), layers.Sum(r => r.ParamsAfter), layers.Sum(r => r.MacsBefore), layers.Sum(r => r.MacsAfter),
            layers.Sum(r => r.MsBefore), layers.Sum(r => r.MsAfter));
    }

    /// <summary>One row per affected convolution (zero filters, or inputs removed by its producer), in module order.</summary>
    public IReadOnlyList<ChannelSlimmingRow> Layers { get; }

    /// <summary>Sums over <see cref="Layers"/> (unaffected convolutions are not included).</summary>
    public ChannelSlimmingRow Total { get; }

    /// <summary>The (batch, C, H, W) input the shapes and timings refer to.</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>Timed repetitions per shape (the median is reported).</summary>
    public int Repetitions { get; }

    /// <summary>The row of the convolution at <paramref name="path"/>, or null when it is not affected.</summary>
    public ChannelSlimmingRow? this[string path] => Layers.FirstOrDefault(r => r.Path == path);

    /// <summary>Measures the model's convolutions on inputs of <paramref name="inputShape"/>.</summary>
    /// <param name="model">The model (its effective, e.g. quantized, convolution weights are read as in <see cref="ChannelSparsity.Of(Module)"/>).</param>
    /// <param name="inputShape">(batch, C, H, W) of the model input.</param>
    /// <param name="repetitions">Timed runs per shape (≥ 1; default 5).</param>
    /// <exception cref="ArgumentException">The shape is not 4 positive sizes, or <paramref name="repetitions"/> &lt; 1.</exception>
    public static ChannelSlimming Measure(Module<Tensor, Tensor> model, int[] inputShape, int repetitions = 5)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length != 4 || inputShape.Any(s => s < 1))
            throw new ArgumentException($"ChannelSlimming: the input shape must be (batch, C, H, W) with positive sizes, got [{string.Join(", ", inputShape)}].", nameof(inputShape));
        if (repetitions < 1) throw new ArgumentException($"ChannelSlimming: repetitions must be at least 1, got {repetitions}.", nameof(repetitions));

        var convs = ConvLayers.Of(model);
        var shapes = ShapePass(model, convs, inputShape);
        var pairs = Pairs(model);
        var zeroFilters = convs.ToDictionary(c => c.Path, c => ConvLayers.ZeroFilters(c.Weight));
        var producerOf = pairs.ToDictionary(p => p.Value.Next, p => p.Key);

        var rows = new List<ChannelSlimmingRow>();
        using var _ = Torch.NoGrad();
        foreach (var conv in convs)
        {
            var g = conv.Geometry;
            if (g.Groups != 1 || !shapes.TryGetValue(conv.Path, out var io)) continue;
            var removed = zeroFilters[conv.Path];
            var removedIn = producerOf.TryGetValue(conv.Path, out var prod) && zeroFilters.TryGetValue(prod, out var z) ? z : [];
            if (removed.Count == 0 && removedIn.Count == 0) continue;

            int o = conv.Weight.Size(0), c = conv.Weight.Size(1), k = conv.Weight.Size(2) * conv.Weight.Size(3);
            int o2 = o - removed.Count, c2 = c - removedIn.Count;
            long bias = conv.Bias is null ? 0 : 1, positions = (long)io.Out[2] * io.Out[3];
            int? removable = pairs.TryGetValue(conv.Path, out var pair) ? Removable(pair.Bn, conv.Bias, removed) : null;

            var xShape = (int[])io.In.Clone();
            double before = Time(Tensor.Randn(xShape, new Generator(0)), conv.Weight, conv.Bias?.Detach(), g, repetitions);
            double after = 0; // nothing left to compute when every filter or every input is gone
            if (o2 > 0 && c2 > 0)
            {
                var keepOut = Index(Keep(o, removed));
                var wRed = conv.Weight.IndexSelect(0, keepOut).IndexSelect(1, Index(Keep(c, removedIn)));
                xShape[1] = c2;
                after = Time(Tensor.Randn(xShape, new Generator(0)), wRed, conv.Bias?.Detach().IndexSelect(0, keepOut), g, repetitions);
            }
            rows.Add(new ChannelSlimmingRow(conv.Path, o, c, removed.Count, removedIn.Count, removable,
                (long)o * c * k + bias * o, (long)o2 * c2 * k + bias * o2, (long)o * c * k * positions, (long)o2 * c2 * k * positions, before, after));
        }
        return new ChannelSlimming(rows, (int[])inputShape.Clone(), repetitions);
    }

    /// <summary>The zero filters whose constant output (bias or 0) the batch norm (running statistics) and ReLU map to 0;
    /// null when the module is not a batch norm with running statistics.</summary>
    private static int? Removable(Module bn, Tensor? bias, List<int> filters)
    {
        if (bn is not BatchNormBase b || b.RunningMean is null || b.RunningVar is null) return null;
        var mean = b.RunningMean.ToArray(); var variance = b.RunningVar.ToArray();
        var gamma = b.Weight?.ToArray(); var beta = b.Bias?.ToArray(); var bv = bias?.ToArray();
        int count = 0;
        foreach (int f in filters)
        {
            double shift = (beta?[f] ?? 0) + (gamma?[f] ?? 1) * ((bv?[f] ?? 0) - mean[f]) / Math.Sqrt(variance[f] + b.Eps);
            if (shift <= 0) count++;
        }
        return count;
    }

    /// <summary>Producer convolution path → (consuming convolution path, the batch norm between them) inside known blocks.</summary>
    private static Dictionary<string, (string Next, Module Bn)> Pairs(Module model)
    {
        var pairs = new Dictionary<string, (string, Module)>();
        foreach (var (path, m) in model.NamedModules())
        {
            string p = path.Length == 0 ? "" : path + ".";
            switch (m)
            {
                case PreActBasicBlock b: pairs[p + "conv1"] = (p + "conv2", b.Bn2); break;
                case BasicBlock b: pairs[p + "conv1"] = (p + "conv2", b.Bn1); break;
                case PreActBottleneck:
                    var children = m.NamedChildren().ToDictionary(c => c.Name, c => c.Module);
                    pairs[p + "conv1"] = (p + "conv2", children["bn2"]);
                    pairs[p + "conv2"] = (p + "conv3", children["bn3"]);
                    break;
            }
        }
        return pairs;
    }

    /// <summary>Input and output shapes of every convolution in one evaluation-mode forward pass without noise.</summary>
    private static Dictionary<string, (int[] In, int[] Out)> ShapePass(Module<Tensor, Tensor> model, List<ConvLayer> convs, int[] inputShape)
    {
        var shapes = new Dictionary<string, (int[], int[])>();
        var handles = new List<RemovableHandle>();
        foreach (var c in convs)
        {
            string path = c.Path;
            if (c.Module is Module<Tensor, Tensor> m)
                handles.Add(m.RegisterForwardHook((_, x, y) => shapes[path] = (x.Shape.ToArray(), y.Shape.ToArray())));
        }
        bool training = model.Training;
        var noise = model.Modules().OfType<FeynmanKacNoise>().Select(n => (n, n.AtInference)).ToList();
        try
        {
            foreach (var (n, _) in noise) n.AtInference = false;
            model.Eval();
            using var _ = Torch.NoGrad();
            model.Forward(Tensor.Randn(inputShape, new Generator(0)));
        }
        finally
        {
            model.Train(training);
            foreach (var (n, at) in noise) n.AtInference = at;
            foreach (var h in handles) h.Remove();
        }
        return shapes;
    }

    private static double Time(Tensor x, Tensor w, Tensor? b, Conv2d g, int repetitions)
    {
        Functional.Conv2d(x, w, b, g.Stride, g.Padding, g.Dilation, 1); // warm-up (allocations, caches)
        var ms = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Functional.Conv2d(x, w, b, g.Stride, g.Padding, g.Dilation, 1);
            ms[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(ms);
        return repetitions % 2 == 1 ? ms[repetitions / 2] : (ms[repetitions / 2 - 1] + ms[repetitions / 2]) / 2;
    }

    private static int[] Keep(int n, List<int> removed)
    {
        var drop = new HashSet<int>(removed);
        return Enumerable.Range(0, n).Where(i => !drop.Contains(i)).ToArray();
    }

    private static Tensor Index(int[] keep) => Tensor.FromArray(keep.Select(i => (long)i).ToArray(), keep.Length);
}
