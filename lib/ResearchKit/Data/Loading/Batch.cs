using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>One mini-batch from a <see cref="DataLoader"/>.</summary>
/// <param name="Images">Transformed images, a contiguous (N, C, H, W) Float32 tensor.</param>
/// <param name="Labels">Class indices, an (N) Int64 tensor.</param>
/// <param name="Epoch">The epoch it belongs to.</param>
/// <param name="Index">Its position in the epoch (0-based; pass it + 1 as <c>startBatch</c> to resume after it).</param>
public sealed record Batch(Tensor Images, Tensor Labels, int Epoch, int Index)
{
    /// <summary>Dataset indices of the samples, in batch order.</summary>
    public int[] SampleIndices { get; init; } = [];

    /// <summary>Number of samples N.</summary>
    public int Count => Labels.Shape[0];
}
