namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Saved state of one GRU layer for <see cref="GruKernel"/>: gate activations (r, z, n) [T, B, 3H],
/// the hidden-side candidate term W_hn h + b_hn [T, B, H] and hidden states [T+1, B, H].
/// Reuse it across calls with the same geometry.
/// </summary>
public sealed class GruWorkspace : RecurrentWorkspace
{
    /// <summary>W_hn h_{t-1} + b_hn per step [T, B, H] (the term r multiplies).</summary>
    internal readonly float[] HiddenCandidate;

    /// <summary>Per-step hidden projection h·W_hhᵀ [B, 3H].</summary>
    internal readonly float[] StepProjection;

    /// <summary>Gradient wrt the hidden-side pre-activations [T, B, 3H] (differs from the input side in the n block).</summary>
    internal float[]? GradHiddenGates;

    /// <summary>Allocates the forward buffers for sequences of <paramref name="seqLen"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or the buffers would not fit in an array.</exception>
    public GruWorkspace(int seqLen, int batch, int inputSize, int hiddenSize)
        : base(nameof(GruKernel), GruKernel.GateCount, seqLen, batch, inputSize, hiddenSize)
    {
        HiddenCandidate = new float[(long)seqLen * batch * hiddenSize];
        StepProjection = new float[batch * GateWidth];
    }
}
