namespace ResearchKit.Quantization.AdaQat;

/// <summary>Whether AdaQAT learns one weight and one activation bit width for the whole network, or one per layer (mixed precision).</summary>
public enum BitWidthGranularity
{
    /// <summary>One N_w shared by every learned weight quantizer and one N_a by every learned activation quantizer: 2 extra forward passes per step.</summary>
    PerNetwork,

    /// <summary>One width per quantized layer and per quantized activation: one extra forward pass per width per step.</summary>
    PerLayer,
}
