namespace ResearchKit.Experiments.Chapter5;

/// <summary>The quantizers of Training II (§5.4.1–5.4.2, Table 5.4).</summary>
public enum QatMethod
{
    /// <summary>The thesis' own setting (SAT [48] and DL-QAT): DoReFa weights (binary at W = 1) and PACT activations, residual
    /// additions at A bits (<see cref="Quantization.QuantSpec.DoReFaPact"/>).</summary>
    Sat,
    /// <summary>LSQ weights and unsigned LSQ activations with 32-bit residual additions (<see cref="Quantization.QuantSpec.Lsq"/>;
    /// Table 5.4's "*" rows). No Scaled-Adjust: LSQ learns its step.</summary>
    Lsq,
    /// <summary>DoReFa (binary at W = 1) weights and PACT activations with 32-bit residual additions (Table 5.4's PACT row).</summary>
    Pact,
}
