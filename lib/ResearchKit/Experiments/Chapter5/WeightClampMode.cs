namespace ResearchKit.Experiments.Chapter5;

/// <summary>
/// Which clamp Training I applies to the weights in the forward pass (Alg. 5, "Clamp() is Eq. (5.2)"; protocols §2.4 ⚠).
/// </summary>
/// <remarks>
/// Read literally, Eq. 5.2 gives W̃ = ½(tanh W / max|tanh W| + 1) ∈ [0, 1], i.e. non-negative weights in Training I. SAT [48],
/// whose procedure the thesis follows, feeds the forward pass the symmetric 2W̃ − 1 = tanh W / max|tanh W| ∈ [−1, 1], the
/// quantity Training II then rounds (Eq. 5.4). The thesis does not resolve this; <see cref="Symmetric"/> is the default here.
/// </remarks>
public enum WeightClampMode
{
    /// <summary>tanh W / max|tanh W| ∈ [−1, 1] (SAT's reading; the default).</summary>
    Symmetric,
    /// <summary>½(tanh W / max|tanh W| + 1) ∈ [0, 1], Eq. 5.2 as printed.</summary>
    Literal,
}
