namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Saved state of one Elman RNN layer for <see cref="RnnKernel"/>: hidden states [T+1, B, H]
/// (the activation derivative is recovered from them). Reuse it across calls with the same geometry.
/// </summary>
public sealed class RnnWorkspace : RecurrentWorkspace
{
    /// <summary>Allocates the forward buffers for sequences of <paramref name="seqLen"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or the buffers would not fit in an array.</exception>
    public RnnWorkspace(int seqLen, int batch, int inputSize, int hiddenSize)
        : base(nameof(RnnKernel), RnnKernel.GateCount, seqLen, batch, inputSize, hiddenSize)
    {
    }

    /// <summary>Activation used by the last forward; backward differentiates the same one.</summary>
    public RnnNonlinearity Nonlinearity { get; internal set; }
}
