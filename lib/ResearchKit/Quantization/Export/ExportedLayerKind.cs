namespace ResearchKit.Quantization.Export;

/// <summary>The operation of an exported layer.</summary>
public enum ExportedLayerKind
{
    /// <summary>A 2-D convolution, weight (out, in/groups, kh, kw).</summary>
    Conv2d,

    /// <summary>A linear layer, weight (out, in).</summary>
    Linear,
}
