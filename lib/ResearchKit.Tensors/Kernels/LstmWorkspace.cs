namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Saved state of one LSTM layer for <see cref="LstmKernel"/>: gate activations (i, f, g, o) [T, B, 4H],
/// cell states [T+1, B, H] and hidden states [T+1, B, H]. Reuse it across calls with the same geometry.
/// </summary>
public sealed class LstmWorkspace : RecurrentWorkspace
{
    /// <summary>Cell states [T+1, B, H]; block 0 is c0, block t+1 is c_t.</summary>
    internal readonly float[] Cells;

    /// <summary>Backward scratch: tanh(c_t) for one step [B, H] and the cell gradient [B, H].</summary>
    internal float[]? TanhCell, GradCell;

    /// <summary>Allocates the forward buffers for sequences of <paramref name="seqLen"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or the buffers would not fit in an array.</exception>
    public LstmWorkspace(int seqLen, int batch, int inputSize, int hiddenSize)
        : base(nameof(LstmKernel), LstmKernel.GateCount, seqLen, batch, inputSize, hiddenSize)
    {
        Cells = new float[Hidden.Length];
    }
}
