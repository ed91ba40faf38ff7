using System.Buffers;

namespace ResearchKit.Tensors.Kernels;

/// <summary>Scratch buffers for kernels (im2col columns, per-chunk partial sums).</summary>
/// <remarks>
/// A private <see cref="ArrayPool{T}.Create(int, int)"/> pool rather than <see cref="ArrayPool{T}.Shared"/>: the shared
/// pool trims itself from a gen-2 GC callback, and tensor-sized allocations make gen-2 collections frequent, so that
/// trimming measured ~18% of a ResNet-20 training step. This pool never trims; it holds at most the peak scratch size.
/// </remarks>
internal static class KernelPool
{
    /// <summary>Float scratch; rented arrays may be longer than asked and hold stale data.</summary>
    public static readonly ArrayPool<float> Floats = ArrayPool<float>.Create(maxArrayLength: 1 << 28, maxArraysPerBucket: 8);
}
