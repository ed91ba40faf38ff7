using ResearchKit.Tensors;

namespace ResearchKit.Losses;

/// <summary>Argument checks shared by the segmentation losses; each message names the loss, the problem and the fix.</summary>
internal static class SegmentationArgs
{
    /// <summary>Logits and target must be Float32 of the same shape with a batch dimension (N, …).</summary>
    public static void LogitsAndMask(string op, Tensor logits, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        if (logits.DType != DType.Float32 || target.DType != DType.Float32)
            throw new ArgumentException($"{op}: logits and target must be Float32, got {logits.DType} and {target.DType}; convert the mask with .Float().");
        if (logits.Dim < 2)
            throw new ArgumentException($"{op}: logits must have a batch dimension, (N, …), got {logits.Shape}.", nameof(logits));
        if (!logits.Shape.Equals(target.Shape))
            throw new ArgumentException($"{op}: target {target.Shape} must have the logits' shape {logits.Shape} (a (N, 1, H, W) mask for a 1-class model).", nameof(target));
    }
}
