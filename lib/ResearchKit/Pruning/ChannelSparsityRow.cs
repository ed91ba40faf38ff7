namespace ResearchKit.Pruning;

/// <summary>Unstructured and channel sparsity of one convolution weight (or of all of them) in a <see cref="ChannelSparsity"/>.</summary>
/// <param name="Path">Dotted path of the convolution, or <c>Total</c>.</param>
/// <param name="Weights">Number of weights.</param>
/// <param name="ZeroWeights">Weights that are exactly zero.</param>
/// <param name="OutputChannels">Filters (dimension 0 of the weight).</param>
/// <param name="ZeroOutputChannels">Filters whose weights are all exactly zero.</param>
/// <param name="InputChannels">Input channels (dimension 1 of the weight; per group for a grouped convolution).</param>
/// <param name="ZeroInputChannels">Input channels whose weights are zero in every filter (no filter reads them).</param>
public sealed record ChannelSparsityRow(string Path, long Weights, long ZeroWeights, int OutputChannels, int ZeroOutputChannels,
    int InputChannels, int ZeroInputChannels)
{
    /// <summary><see cref="ZeroWeights"/> / <see cref="Weights"/> (0 for an empty row).</summary>
    public double UnstructuredSparsity => Weights == 0 ? 0 : (double)ZeroWeights / Weights;

    /// <summary><see cref="ZeroOutputChannels"/> / <see cref="OutputChannels"/>: the channel sparsity (0 for an empty row).</summary>
    public double ChannelSparsity => OutputChannels == 0 ? 0 : (double)ZeroOutputChannels / OutputChannels;

    /// <summary><see cref="ZeroInputChannels"/> / <see cref="InputChannels"/> (0 for an empty row).</summary>
    public double InputChannelSparsity => InputChannels == 0 ? 0 : (double)ZeroInputChannels / InputChannels;
}
