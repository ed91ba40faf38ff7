namespace ResearchKit.Experiments.Chapter5;

/// <summary>
/// The outcome of a two-stage QAT run (Alg. 5): top-1 test accuracies (fractions in [0, 1]) of the float model after
/// Training I and of the quantized model after Training II, and ΔP (Eq. 5.10).
/// </summary>
/// <param name="FloatAccuracy">Acc^float32 of the Training I model (clamped weights, float activations), same loss.</param>
/// <param name="QuantAccuracy">Acc^quant of the Training II model (W/A bits).</param>
/// <param name="FloatLoss">Final training loss of Training I (last logged value).</param>
/// <param name="QuantLoss">Final training loss of Training II.</param>
public sealed record QatResult(double FloatAccuracy, double QuantAccuracy, double FloatLoss, double QuantLoss)
{
    /// <summary>ΔP = Acc^float32 − Acc^quant in percentage points (Eq. 5.10), against the float model of the same loss.</summary>
    public double DeltaP => DeltaPoints(FloatAccuracy, QuantAccuracy);

    /// <summary>Eq. 5.10 on two accuracies given as fractions: 100·(float − quant) percentage points.</summary>
    public static double DeltaPoints(double floatAccuracy, double quantAccuracy) => 100.0 * (floatAccuracy - quantAccuracy);
}
