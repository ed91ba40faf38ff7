namespace ResearchKit.Quantization;

/// <summary>Over which elements a quantizer shares its scale (or max, threshold, step).</summary>
/// <remarks>The thesis takes the DoReFa max over the whole layer tensor (Eq. 5.2); per-channel is offered for comparison.</remarks>
public enum QuantGranularity
{
    /// <summary>One scale for the whole tensor.</summary>
    PerTensor,

    /// <summary>One scale per output channel: dimension 0 of a <c>Linear</c> (out, in) or <c>Conv2d</c> (out, in, kh, kw) weight.</summary>
    PerChannel,
}
