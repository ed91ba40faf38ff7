using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>One BPTT window of an <see cref="LmBatcher"/>.</summary>
/// <param name="Inputs">Tokens (T, B) Int64, sequence-first; column b is stream b.</param>
/// <param name="Targets">The next tokens (T, B) Int64: Targets[t, b] = the token after Inputs[t, b] in stream b.</param>
/// <param name="Index">The window's position in the epoch.</param>
public sealed record LmWindow(Tensor Inputs, Tensor Targets, int Index)
{
    /// <summary>Its length T (the last window of an epoch may be shorter than the BPTT length).</summary>
    public int Length => Inputs.Shape[0];
}
