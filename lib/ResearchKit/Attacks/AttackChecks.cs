using ResearchKit.Tensors;

namespace ResearchKit.Attacks;

/// <summary>Argument checks shared by the attacks, so every attack rejects bad input with the same clear messages.</summary>
internal static class AttackChecks
{
    /// <summary>Inputs (N, …) with N ≥ 1, finite and inside the clip range; labels Int64 (N) and ≥ 0.</summary>
    public static void Batch(string attack, ThreatModel threat, Tensor inputs, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.DType != DType.Float32 || inputs.Dim < 2 || inputs.Size(0) < 1)
            throw new ArgumentException($"{attack}: inputs must be a Float32 batch (N, …) with N ≥ 1, got {inputs.DType} of shape {inputs.Shape}; add a batch dimension with Unsqueeze(0).", nameof(inputs));
        if (labels.DType != DType.Int64 || labels.Dim != 1 || labels.Size(0) != inputs.Size(0))
            throw new ArgumentException($"{attack}: labels must be Int64 of shape ({inputs.Size(0)}), one per input, got {labels.DType} of shape {labels.Shape}.", nameof(labels));
        foreach (long y in labels.ToInt64Array())
            if (y < 0) throw new ArgumentOutOfRangeException(nameof(labels), y, $"{attack}: label {y} is negative; labels are class indices in [0, C).");
        const float slack = 1e-6f; // inputs read from 8-bit images divided by 255 may round just past the bounds
        foreach (float v in inputs.ToArray())
            if (!(v >= threat.ClipMin - slack && v <= threat.ClipMax + slack))
                throw new ArgumentOutOfRangeException(nameof(inputs), v, $"{attack}: input value {v} is outside the clip range [{threat.ClipMin}, {threat.ClipMax}] (or not finite); scale the inputs (e.g. /255) or widen the ThreatModel's range.");
    }

    /// <summary>Labels below <paramref name="classes"/> (known only once the scores are seen).</summary>
    public static void LabelsBelow(string attack, long[] labels, int classes)
    {
        foreach (long y in labels)
            if (y >= classes) throw new ArgumentOutOfRangeException(nameof(labels), y, $"{attack}: label {y} is out of range for {classes} classes; labels must be in [0, {classes}).");
    }

    /// <summary>An iteration list for <see cref="IIterativeAttack.PerturbAt"/>: non-empty, strictly ascending, each ≥ 1.</summary>
    public static void Iterations(string attack, IReadOnlyList<int> iterations)
    {
        ArgumentNullException.ThrowIfNull(iterations);
        if (iterations.Count == 0) throw new ArgumentException($"{attack}: PerturbAt needs at least one iteration count, e.g. [10, 20, 50, 100].", nameof(iterations));
        for (int i = 0; i < iterations.Count; i++)
            if (iterations[i] < 1 || (i > 0 && iterations[i] <= iterations[i - 1]))
                throw new ArgumentException($"{attack}: PerturbAt iteration counts must be ≥ 1 and strictly ascending, got [{string.Join(", ", iterations)}].", nameof(iterations));
    }

    /// <summary>Throws unless <paramref name="value"/> ≥ <paramref name="min"/>.</summary>
    public static int AtLeast(string attack, string name, int value, int min) =>
        value >= min ? value : throw new ArgumentOutOfRangeException(name, value, $"{attack}: {name} must be ≥ {min}, got {value}.");

    /// <summary>Throws unless <paramref name="value"/> is finite and &gt; 0 (or ≥ 0 when <paramref name="allowZero"/>).</summary>
    public static double Positive(string attack, string name, double value, bool allowZero = false) =>
        double.IsFinite(value) && (value > 0 || (allowZero && value == 0)) ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{attack}: {name} must be finite and {(allowZero ? "≥" : ">")} 0, got {value}.");

    /// <summary>Per-input shape and element count of a batch.</summary>
    public static (int N, int D, int[] Shape) Dims(Tensor inputs)
    {
        int n = inputs.Size(0);
        return (n, inputs.Numel / n, inputs.Shape.ToArray());
    }
}
