using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Losses;

/// <summary>Argument checks shared by the class-center losses; each message names the loss, the bad value and the fix.</summary>
internal static class LossArgs
{
    /// <summary>Feature and class counts given to a ctor must be positive (at least 2 classes: one class has nothing to separate).</summary>
    public static void Sizes(string op, int inFeatures, int classes)
    {
        if (inFeatures < 1) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, $"{op}: inFeatures must be positive, got {inFeatures}.");
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, $"{op}: classes must be at least 2, got {classes}.");
    }

    /// <summary>A hyper-parameter must be finite and at least <paramref name="min"/>.</summary>
    public static void AtLeast(string op, string name, float value, float min)
    {
        if (!float.IsFinite(value) || value < min)
            throw new ArgumentOutOfRangeException(name, value, $"{op}: {name} must be finite and ≥ {min}, got {value}.");
    }

    /// <summary>Features must be Float32 (N, inFeatures).</summary>
    public static void Features(string op, Tensor features, int inFeatures)
    {
        if (features.DType != DType.Float32)
            throw new ArgumentException($"{op}: features must be Float32, got {features.DType}; call .Float() on them.", nameof(features));
        if (features.Dim != 2 || features.Size(1) != inFeatures)
            throw new ArgumentException($"{op}: features must be (N, {inFeatures}), got {features.Shape}; flatten the feature extractor's output to (N, D) and create the loss with inFeatures = D.", nameof(features));
    }

    /// <summary>Targets must be Int64 (N) with every value in [0, classes).</summary>
    public static void Targets(string op, Tensor features, Tensor target, int classes)
    {
        if (target.DType != DType.Int64)
            throw new ArgumentException($"{op}: targets must be Int64 class indices, got {target.DType}; convert them (e.g. Tensor.FromArray(long[], n)).", nameof(target));
        int n = features.Size(0);
        if (target.Dim != 1 || target.Size(0) != n)
            throw new ArgumentException($"{op}: targets must be (N) = ({n}) to match features {features.Shape}, got {target.Shape}.", nameof(target));
        foreach (long t in target.ToInt64Array())
            if (t < 0 || t >= classes)
                throw new ArgumentException($"{op}: target {t} is outside [0, {classes}); the loss was created with classes = {classes}.", nameof(target));
    }

    /// <summary>Clean and adversarial logits of a paired loss: both Float32 (N, C) of the same shape, labels Int64 (N).</summary>
    public static void LogitPair(string op, Tensor cleanLogits, Tensor advLogits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(cleanLogits);
        ArgumentNullException.ThrowIfNull(advLogits);
        ArgumentNullException.ThrowIfNull(labels);
        if (cleanLogits.DType != DType.Float32 || cleanLogits.Dim != 2)
            throw new ArgumentException($"{op}: clean logits must be Float32 (N, C), got {cleanLogits.DType} of shape {cleanLogits.Shape}.", nameof(cleanLogits));
        if (!advLogits.Shape.Equals(cleanLogits.Shape) || advLogits.DType != DType.Float32)
            throw new ArgumentException($"{op}: adversarial logits must have the clean logits' shape {cleanLogits.Shape} (Float32), got {advLogits.DType} of shape {advLogits.Shape}; compute both on the same batch.", nameof(advLogits));
        Targets(op, cleanLogits, labels, cleanLogits.Size(1));
    }

    /// <summary>The one-hot mask [j = y] as Float32 (N, C), a constant of the graph.</summary>
    /// <remarks>Labels on a device are encoded there (the range was checked by <see cref="Targets"/>).</remarks>
    public static Tensor OneHot(Tensor target, int classes) =>
        target.Device.IsCpu ? Functional.OneHot(target, classes).Float() : Functional.DeviceOneHot(target, classes);

    /// <summary>A float as Python's repr would print it in an ExtraRepr (shortest round-trip, invariant culture, "30.0" not "30").</summary>
    public static string Repr(float v)
    {
        string s = v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') || !float.IsFinite(v) ? s : s + ".0";
    }

    /// <summary>Applies "mean", "sum" or "none" to per-sample losses (N).</summary>
    public static Tensor Reduce(Tensor perSample, string reduction) => reduction switch
    {
        "mean" => perSample.Mean(),
        "sum" => perSample.Sum(),
        _ => perSample,
    };
}
