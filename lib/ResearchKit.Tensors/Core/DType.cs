namespace ResearchKit.Tensors;

/// <summary>Element type of a <see cref="Tensor"/>.</summary>
/// <remarks>
/// Float32 carries all differentiable math. Int64 holds class labels and indices (as <c>torch.long</c>);
/// arithmetic on Int64 tensors promotes to Float32, movement and indexing ops keep Int64.
/// </remarks>
public enum DType
{
    /// <summary>32-bit IEEE float (<c>torch.float32</c>).</summary>
    Float32,
    /// <summary>64-bit signed integer (<c>torch.int64</c>, labels and indices).</summary>
    Int64,
}
