namespace ResearchKit.Defenses;

/// <summary>
/// How the Ensemble Hash Defense turns one input into the bytes it hashes (thesis §6.4.3: "each input image is flattened
/// into a sequence of bytes"; the encoding of non-8-bit images is not stated, PROTOCOLS §3.2). See <see cref="EhdInputBytes"/>.
/// </summary>
/// <remarks>
/// The choice decides which perturbations move an input to another member. SPSA queries x ± 0.01 (App. B): under
/// <see cref="Uint8"/>, 0.01 is 2.55 grey levels, so most queried pixels change byte and the pair is routed like two
/// unrelated images; a perturbation below half a grey level (|Δ| &lt; 1/510) leaves the bytes, hence the member,
/// unchanged. Under <see cref="Float32"/> every change of any float bit (even one ulp, or −0 vs +0) re-routes.
/// <see cref="Uint8"/> matches a deployed camera pipeline, where the model only ever sees 8-bit images.
/// </remarks>
public enum EhdInputEncoding
{
    /// <summary>
    /// One byte per value (default): clamp to [0, 1], multiply by 255 in float32, round half to even
    /// (<c>MathF.Round</c>), in the input's row-major order.
    /// </summary>
    Uint8,

    /// <summary>Four bytes per value: the raw IEEE-754 float32 bits, little-endian, in the input's row-major order.</summary>
    Float32,
}
