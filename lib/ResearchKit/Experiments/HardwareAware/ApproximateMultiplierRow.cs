using ResearchKit.Quantization.Approximate;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>Test accuracy of a trained model with every product through one multiplier (or in float), next to the multiplier's error statistics.</summary>
/// <param name="Multiplier">The multiplier's name, or "Float" for the unmodified model.</param>
/// <param name="Accuracy">Top-1 accuracy on the evaluated images, in [0, 1].</param>
/// <param name="Images">Images evaluated.</param>
/// <param name="BatchSize">Images per forward pass (the approximate layers' input scale is per batch).</param>
/// <param name="Stats">Error statistics of the multiplier over all signed operand pairs (null for the float row).</param>
/// <param name="RunId">Run id of the stored evaluation.</param>
/// <param name="FromCache">True when the accuracy came from the run store.</param>
public sealed record ApproximateMultiplierRow(string Multiplier, double Accuracy, int Images, int BatchSize, MultiplierErrorStats? Stats,
    long RunId, bool FromCache)
{
    /// <summary>The row name of the unmodified float model.</summary>
    public const string FloatName = "Float";
}
