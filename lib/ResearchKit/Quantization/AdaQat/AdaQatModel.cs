using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.AdaQat;

/// <summary>
/// A float model converted for AdaQAT: the kit's <see cref="ModelQuantizer"/> surgery (same precision exceptions, §5.4.1), with
/// every W-bit weight quantizer and every A-bit activation quantizer replaced by an <see cref="AdaptiveQuantizer"/> (DoReFa
/// weights, PACT activations) that follows a <see cref="LearnedBitWidth"/>.
/// </summary>
/// <remarks>The first conv, the last layer and its input stay at the fixed <see cref="AdaQatOptions.FirstLastBits"/>.</remarks>
public sealed class AdaQatModel
{
    // ModelQuantizer hands its factories a bit count only; distinct marker counts tell the learned sites from the fixed
    // first/last ones (which may share the same real width). Both are valid widths, so its checks pass.
    private const int LearnedMarker = 2, FixedMarker = 3;

    private AdaQatModel(IReadOnlyList<AdaQatSite> sites, IReadOnlyList<LearnedBitWidth> weights, IReadOnlyList<LearnedBitWidth> activations, AdaQatOptions options)
    {
        Sites = sites; WeightBitWidths = weights; ActivationBitWidths = activations; Options = options;
        BitWidths = [.. weights, .. activations];
    }

    /// <summary>The learned sites in module order.</summary>
    public IReadOnlyList<AdaQatSite> Sites { get; }

    /// <summary>The distinct weight widths (one per network, or one per layer).</summary>
    public IReadOnlyList<LearnedBitWidth> WeightBitWidths { get; }

    /// <summary>The distinct activation widths (one per network, or one per activation quantizer).</summary>
    public IReadOnlyList<LearnedBitWidth> ActivationBitWidths { get; }

    /// <summary>Weights then activations.</summary>
    public IReadOnlyList<LearnedBitWidth> BitWidths { get; }

    /// <summary>The options it was built with.</summary>
    public AdaQatOptions Options { get; }

    /// <summary>The current integer weight widths, as doubles (for <see cref="AdaQatCost"/>).</summary>
    public double[] WeightBits() => WeightBitWidths.Select(b => (double)b.Bits).ToArray();

    /// <summary>The current integer activation widths, as doubles.</summary>
    public double[] ActivationBits() => ActivationBitWidths.Select(b => (double)b.Bits).ToArray();

    /// <summary>Converts <paramref name="model"/> in place (see the class remarks) and returns its learned widths.</summary>
    /// <param name="model">A float model (e.g. <c>new ResNetCifar(20)</c>).</param>
    /// <param name="options">AdaQAT settings.</param>
    /// <param name="scaledAdjustWeight">A weight tensor of a fixed first/last layer whose DoReFa quantizer applies Scaled-Adjust
    /// (Eq. 5.5), as chapter 5's Training II does on the final linear layer (<c>TwoStageQat.Spec</c>); null: none.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">The model is already quantized or has nothing to quantize (see <see cref="ModelQuantizer.Quantize"/>).</exception>
    public static AdaQatModel Convert(Module model, AdaQatOptions options, Tensors.Tensor? scaledAdjustWeight = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validated();
        bool perNetwork = options.Granularity == BitWidthGranularity.PerNetwork;
        LearnedBitWidth NewWidth(string name, double init) =>
            new(name, init, options.MinBits, options.MaxBits, options.FreezeAfterIncreases, options.FreezeAtMinimum, options.FreezeSide);
        var sharedW = NewWidth("weights", options.InitialWeightBits);
        var sharedA = NewWidth("activations", options.InitialActivationBits);
        var weightQs = new List<AdaptiveQuantizer>();
        var actQs = new List<AdaptiveQuantizer>();

        IQuantizer WeightFactory(int marker, Tensors.Tensor w)
        {
            if (marker == FixedMarker) return new DoReFaWeightQuantizer(options.FirstLastBits, scaledAdjust: ReferenceEquals(w, scaledAdjustWeight));
            var q = AdaptiveQuantizer.DoReFa(perNetwork ? sharedW : NewWidth($"weight{weightQs.Count}", options.InitialWeightBits));
            weightQs.Add(q);
            return q;
        }
        IQuantizer ActFactory(int marker)
        {
            if (marker == FixedMarker) return new PactActivationQuantizer(options.FirstLastBits, options.PactInitialAlpha);
            var q = AdaptiveQuantizer.Pact(perNetwork ? sharedA : NewWidth($"activation{actQs.Count}", options.InitialActivationBits), options.PactInitialAlpha);
            actQs.Add(q);
            return q;
        }

        var spec = new QuantSpec(LearnedMarker, LearnedMarker, WeightFactory, ActFactory, FixedMarker, options.QuantizeResidualAdds);
        var report = ModelQuantizer.Quantize(model, spec);

        // The factories ran in the report's order (per site: weight quantizer, then input quantizer), so zip them.
        var sites = new List<AdaQatSite>();
        int wi = 0, ai = 0;
        foreach (var s in report)
        {
            if (s.WeightBits == LearnedMarker) sites.Add(new AdaQatSite(s.Path, true, weightQs[wi++]));
            if (s.ActivationBits == LearnedMarker) sites.Add(new AdaQatSite(s.Path, false, actQs[ai++]));
        }
        if (wi != weightQs.Count || ai != actQs.Count)
            throw new InvalidOperationException("AdaQatModel.Convert: the quantizer report does not match the quantizers built; ModelQuantizer's site order changed.");
        if (!perNetwork)
            foreach (var site in sites) site.BitWidth.Name = site.Path + (site.IsWeight ? ".weight" : ".act");

        var weights = perNetwork ? (weightQs.Count > 0 ? [sharedW] : []) : weightQs.Select(q => q.BitWidthParameter).ToList();
        var acts = perNetwork ? (actQs.Count > 0 ? [sharedA] : []) : actQs.Select(q => q.BitWidthParameter).ToList();
        if (weights.Count + acts.Count == 0)
            throw new InvalidOperationException("AdaQatModel.Convert: every quantized site is a fixed first/last one, so there is no bit width to learn; use a deeper model.");
        // A role that is not learned keeps its initial width: frozen widths are neither probed nor updated.
        if (!options.LearnWeights) foreach (var w in weights) w.Freeze();
        if (!options.LearnActivations) foreach (var a in acts) a.Freeze();
        return new AdaQatModel(sites, weights, acts, options);
    }
}
