using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization;

/// <summary>
/// Converts a float model for Binary-Relax training (Yin et al. 2018), as used by Li, Wang &amp; Xin (2020) on EnResNet: every
/// convolution weight is relaxed towards its projection P(w); linear layers, biases and batch norms stay float (the
/// BinaryRelax code quantizes the parameters with 'conv' in their name, the stem and 1×1 downsample convs included).
/// </summary>
public static class BinaryRelax
{
    /// <summary>
    /// Replaces, in place, every <see cref="Conv2d"/> of <paramref name="model"/> by a <see cref="SharedQuantConv2d"/> over the
    /// same tensors whose weight quantizer is a <see cref="BinaryRelaxQuantizer"/>; all of them share one <see cref="BinaryRelaxState"/>,
    /// set for epoch 0 of <paramref name="schedule"/>.
    /// </summary>
    /// <param name="model">A float model with registered <see cref="Conv2d"/> modules.</param>
    /// <param name="projection">P (see <see cref="Projection"/>).</param>
    /// <param name="schedule">η and the phase per epoch.</param>
    /// <param name="quantizeFirstConv">Whether the first convolution (module order) is converted too (the BinaryRelax code: yes).</param>
    /// <returns>The state, its callback and the converted paths.</returns>
    /// <exception cref="InvalidOperationException">The model is already quantized, has no convolution to convert, or a parent
    /// declared a conv child with a concrete type; the model is then unchanged.</exception>
    public static BinaryRelaxModel Apply(Module model, IWeightProjection projection, BinaryRelaxSchedule schedule, bool quantizeFirstConv = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(projection);
        ArgumentNullException.ThrowIfNull(schedule);
        var named = model.NamedModules().Where(nm => nm.Name.Length > 0).ToList();
        foreach (var (name, m) in named)
            if (m is QuantAct or SharedQuantConv2d or SharedQuantLinear or QuantConv2d or QuantLinear)
                throw new InvalidOperationException(
                    $"BinaryRelax.Apply: '{name}' is already quantized ({m.GetType().Name}); apply Binary-Relax once, to a float model (rebuild it and load the float weights).");
        var convs = named.Where(nm => nm.Module is Conv2d).Select(nm => nm.Name).ToList();
        if (convs.Count == 0)
            throw new InvalidOperationException("BinaryRelax.Apply: the model has no Conv2d module; Binary-Relax here quantizes convolution weights only.");
        string first = convs[0];
        if (!quantizeFirstConv && convs.Count == 1)
            throw new InvalidOperationException($"BinaryRelax.Apply: the only convolution '{first}' is the first one and quantizeFirstConv is false; nothing would be quantized.");

        var state = new BinaryRelaxState();
        var callback = new BinaryRelaxCallback(schedule, state);
        var quantizer = new BinaryRelaxQuantizer(projection, state); // stateless apart from the shared state: one for all layers
        var sites = model.Replace<Conv2d>(c => new SharedQuantConv2d(c, quantizer), (path, _) => quantizeFirstConv || path != first);
        return new BinaryRelaxModel(model, projection, state, callback, sites);
    }

    /// <summary>The projection for <paramref name="bits"/>: 1 → <see cref="BinaryProjection"/>, 2 → <see cref="TernaryProjection"/>
    /// (TWN scale), 3..8 → <see cref="SignMagnitudeProjection"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="bits"/> is outside [1, 8].</exception>
    public static IWeightProjection Projection(int bits) => bits switch
    {
        1 => new BinaryProjection(),
        2 => new TernaryProjection(),
        >= 3 and <= 8 => new SignMagnitudeProjection(bits),
        _ => throw new ArgumentException($"BinaryRelax.Projection: bits = {bits}; pass 1 (binary), 2 (ternary) or 3..8 (sign-magnitude).", nameof(bits)),
    };
}
