namespace ResearchKit.Tensors;

/// <summary>Element type of a <see cref="Tensor"/>.</summary>
/// <remarks>
/// Float32 carries all differentiable math. Int64 holds class labels, indices and counts (as <c>torch.long</c>) and
/// computes exactly: add/sub/mul/pow/maximum/minimum/floor_divide/remainder of two Int64 tensors (or an Int64 tensor and a
/// <c>long</c> scalar) stay Int64 and wrap on overflow; comparisons compare exactly; sum, max/min, argmax/argmin, cumsum,
/// neg, abs and where stay exact. True division and any mix with Float32 promote to Float32, as in PyTorch.
/// </remarks>
public enum DType
{
    /// <summary>32-bit IEEE float (<c>torch.float32</c>).</summary>
    Float32,
    /// <summary>64-bit signed integer (<c>torch.int64</c>, labels and indices).</summary>
    Int64,
}
