using Deedle;
using ResearchKit.Quantization;
using ResearchKit.Tables;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Pruning;

/// <summary>
/// Unstructured and channel sparsity of convolution weights: per convolution the exactly-zero weights, the filters
/// (output channels) whose weights are all zero, and the input channels that no filter reads; plus a <see cref="Total"/>
/// row that sums the counts (so its ratios are weighted by layer size).
/// </summary>
/// <remarks>
/// Channel sparsity is the structured kind that can shrink the network: a filter whose weights are all zero produces a
/// constant map (see <see cref="ChannelSlimming"/> for when removing it is exact and what it gains). Ternary and b-bit
/// projections (BinaryRelax code, Yin et al. 2018) map small weights to exactly 0, so for quantized convolutions the count
/// is of the quantized weight (<see cref="Of(Module)"/>). Li, Wang, Xin 2020 (abstract) aim at raising this channel sparsity of quantized EnResNets.
/// Zero means exactly 0f (−0f included); tiny non-zero values count as non-zero.
/// </remarks>
public sealed class ChannelSparsity
{
    private ChannelSparsity(List<ChannelSparsityRow> layers)
    {
        Layers = layers;
        Total = new ChannelSparsityRow("Total", layers.Sum(r => r.Weights), layers.Sum(r => r.ZeroWeights), layers.Sum(r => r.OutputChannels),
            layers.Sum(r => r.ZeroOutputChannels), layers.Sum(r => r.InputChannels), layers.Sum(r => r.ZeroInputChannels));
    }

    /// <summary>One row per convolution, in the given (or module) order.</summary>
    public IReadOnlyList<ChannelSparsityRow> Layers { get; }

    /// <summary>All convolutions together: counts summed, so the ratios are weighted by weights and channels.</summary>
    public ChannelSparsityRow Total { get; }

    /// <summary>Counts the given convolution weights, each of shape (out, in/groups, kh, kw).</summary>
    /// <param name="convWeights">(path, weight) pairs, e.g. the effective weights of a model's convolutions.</param>
    /// <exception cref="ArgumentException">A weight is not a 4-D float tensor, or a path is empty.</exception>
    public static ChannelSparsity Of(IEnumerable<(string Path, Tensor Weight)> convWeights)
    {
        ArgumentNullException.ThrowIfNull(convWeights);
        var rows = new List<ChannelSparsityRow>();
        foreach (var (path, w) in convWeights)
        {
            if (string.IsNullOrEmpty(path)) throw new ArgumentException("ChannelSparsity: every weight needs a non-empty path (e.g. 'layer1.0.conv1').", nameof(convWeights));
            ArgumentNullException.ThrowIfNull(w);
            if (w.Dim != 4 || w.DType != DType.Float32)
                throw new ArgumentException($"ChannelSparsity: '{path}' has a {w.DType} weight of shape {w.Shape}; pass 4-D float convolution weights (out, in/groups, kh, kw).", nameof(convWeights));
            var values = MaskKernel.Read(w);
            rows.Add(new ChannelSparsityRow(path, w.Numel, MaskKernel.CountZeroValues(values), w.Size(0), ConvLayers.ZeroFilters(w).Count,
                w.Size(1), ConvLayers.ZeroInputs(w).Count));
        }
        return new ChannelSparsity(rows);
    }

    /// <summary>
    /// Counts every 2-D convolution of <paramref name="model"/> in module order, reading the weight its forward pass uses:
    /// for a <see cref="QuantConv2d"/> or a <see cref="SharedQuantConv2d"/> with a weight quantizer the quantized weight
    /// <c>WeightQuant.Quantize(weight)</c> (under no-grad), for a float <see cref="Conv2d"/> the raw weight.
    /// </summary>
    public static ChannelSparsity Of(Module model) => Of(ConvLayers.Of(model).Select(c => (c.Path, c.Weight)));

    /// <summary>The row of the convolution at <paramref name="path"/>, or null.</summary>
    public ChannelSparsityRow? this[string path] => Layers.FirstOrDefault(r => r.Path == path);

    /// <summary>
    /// One row per convolution and a <c>Total</c> row: <c>Layer</c>, <c>Weights</c>, <c>Zero weights</c>, <c>Sparsity</c>,
    /// <c>Filters</c>, <c>Zero filters</c>, <c>Channel sparsity</c>, <c>Inputs</c>, <c>Unread inputs</c> (ratios as fractions).
    /// </summary>
    public Frame<int, string> ToFrame()
    {
        var rows = Layers.Append(Total).ToList();
        Series<int, object> Col(Func<ChannelSparsityRow, object> f) => rows.Select((r, i) => KeyValuePair.Create(i, f(r))).ToSeries();
        return Frame.FromColumns(new Dictionary<string, Series<int, object>>
        {
            ["Layer"] = Col(r => r.Path),
            ["Weights"] = Col(r => r.Weights),
            ["Zero weights"] = Col(r => r.ZeroWeights),
            ["Sparsity"] = Col(r => r.UnstructuredSparsity),
            ["Filters"] = Col(r => r.OutputChannels),
            ["Zero filters"] = Col(r => r.ZeroOutputChannels),
            ["Channel sparsity"] = Col(r => r.ChannelSparsity),
            ["Inputs"] = Col(r => r.InputChannels),
            ["Unread inputs"] = Col(r => r.ZeroInputChannels),
        });
    }

    /// <summary><see cref="ToFrame"/> as a table, sparsities as percentages with 2 decimals.</summary>
    /// <param name="name">Export name.</param>
    /// <param name="caption">Caption.</param>
    public ResultsTable ToTable(string? name = null, string? caption = null) =>
        ResultsTable.From(ToFrame(), name, caption).Percent("Sparsity", 2).Percent("Channel sparsity", 2);
}
