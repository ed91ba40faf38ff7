using ResearchKit.Tensors;

namespace ResearchKit.Quantization.AdaQat;

/// <summary>
/// A quantizer whose bit width follows a <see cref="LearnedBitWidth"/>: it quantizes with an inner quantizer built for the
/// current integer width (<see cref="LearnedBitWidth.EffectiveBits"/>), one per width, cached.
/// </summary>
/// <remarks>
/// Learned tensors (PACT's α) are registered once by the layer holding this quantizer, so every inner quantizer must share
/// the same tensors: <see cref="Pact"/> does (it builds all widths over one α); a custom factory that creates fresh tensors
/// per width is refused with an exception when that width is first used.
/// </remarks>
public sealed class AdaptiveQuantizer : ILearnedQuantizer
{
    private readonly Func<int, IQuantizer> _factory;
    private readonly Dictionary<int, IQuantizer> _byBits = new();
    private readonly IReadOnlyList<(string Name, Tensor Parameter)> _learned;

    /// <summary>Creates the quantizer and builds the inner one for the current width.</summary>
    /// <param name="bitWidth">The learned bit width it follows (may be shared by several quantizers: per-network AdaQAT).</param>
    /// <param name="factory">Builds the inner quantizer for a width in [1, 16]; learned tensors must be shared across widths.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public AdaptiveQuantizer(LearnedBitWidth bitWidth, Func<int, IQuantizer> factory)
    {
        BitWidthParameter = bitWidth ?? throw new ArgumentNullException(nameof(bitWidth));
        _factory = factory ?? throw new ArgumentNullException(nameof(factory));
        var first = Build(bitWidth.EffectiveBits);
        _learned = first is ILearnedQuantizer l ? l.LearnedParameters.ToArray() : [];
        Granularity = first.Granularity;
        _byBits[bitWidth.EffectiveBits] = first;
    }

    /// <summary>DoReFa weights (§5.2.2, the kit's SAT weight quantizer) at the learned width; AdaQAT's paper quantizer is not confirmed (FACTS-adaqat.md).</summary>
    /// <param name="bitWidth">The learned width.</param>
    /// <param name="granularity">Per tensor (default) or per output channel.</param>
    public static AdaptiveQuantizer DoReFa(LearnedBitWidth bitWidth, QuantGranularity granularity = QuantGranularity.PerTensor) =>
        new(bitWidth, b => new DoReFaWeightQuantizer(b, granularity));

    /// <summary>PACT activations at the learned width, one α shared by all widths.</summary>
    /// <param name="bitWidth">The learned width.</param>
    /// <param name="initialAlpha">PACT's initial clipping level (the kit's default 10).</param>
    public static AdaptiveQuantizer Pact(LearnedBitWidth bitWidth, float initialAlpha = 10f)
    {
        ArgumentNullException.ThrowIfNull(bitWidth);
        var root = new PactActivationQuantizer(bitWidth.EffectiveBits, initialAlpha);
        return new AdaptiveQuantizer(bitWidth, root.WithBitWidth);
    }

    /// <summary>The learned width this quantizer follows.</summary>
    public LearnedBitWidth BitWidthParameter { get; }

    /// <summary>The current integer width (the probe's during a finite-difference evaluation).</summary>
    public int BitWidth => BitWidthParameter.EffectiveBits;

    /// <inheritdoc/>
    public QuantGranularity Granularity { get; }

    /// <summary>The learned tensors of the inner quantizers (the same for every width).</summary>
    public IReadOnlyList<(string Name, Tensor Parameter)> LearnedParameters => _learned;

    /// <summary>The inner quantizer for the current width.</summary>
    /// <exception cref="InvalidOperationException">The factory built a quantizer of another width, or with learned tensors not shared with the first.</exception>
    public IQuantizer Current
    {
        get
        {
            int bits = BitWidth;
            if (_byBits.TryGetValue(bits, out var q)) return q;
            q = Build(bits);
            var learned = q is ILearnedQuantizer l ? l.LearnedParameters : [];
            if (learned.Count != _learned.Count || learned.Where((p, i) => !ReferenceEquals(p.Parameter, _learned[i].Parameter)).Any())
                throw new InvalidOperationException(
                    $"AdaptiveQuantizer '{BitWidthParameter.Name}': the factory's {bits}-bit quantizer has its own learned tensors, but the layer registered those of the first width only; build every width over the same tensors (e.g. PactActivationQuantizer.WithBitWidth).");
            _byBits[bits] = q;
            return q;
        }
    }

    /// <summary>Quantizes with <see cref="Current"/>.</summary>
    public Tensor Quantize(Tensor x) => Current.Quantize(x);

    /// <summary>The grid of <see cref="Current"/>.</summary>
    public QuantGrid Grid(Tensor? x = null) => Current.Grid(x);

    private IQuantizer Build(int bits)
    {
        var q = _factory(bits) ?? throw new InvalidOperationException($"AdaptiveQuantizer '{BitWidthParameter.Name}': the factory returned null for {bits} bits.");
        if (q.BitWidth != bits)
            throw new InvalidOperationException($"AdaptiveQuantizer '{BitWidthParameter.Name}': the factory built a {q.BitWidth}-bit quantizer when asked for {bits} bits.");
        return q;
    }
}
