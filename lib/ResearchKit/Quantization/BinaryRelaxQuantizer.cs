using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Binary-Relax (Yin et al. 2018) as a weight quantizer: the forward pass sees u = (η·P(w) + w)/(1 + η) in the relaxed phase
/// and u = P(w) in the hard phase (η and the phase from a <see cref="BinaryRelaxState"/> shared by the model); the gradient
/// with respect to u is passed to w unchanged.
/// </summary>
/// <remarks>
/// The BinaryRelax code keeps two copies, swaps u into the model for forward/backward, swaps w back and steps the optimizer
/// with the gradient computed at u. An identity backward does the same in one graph: the optimizer updates the float w, and
/// the next forward recomputes u from it. u is computed as P(w) + (w − P(w))/(1 + η), equal in exact arithmetic and exactly
/// P(w) for η = ∞.
/// </remarks>
public sealed class BinaryRelaxQuantizer : IQuantizer
{
    /// <summary>Creates the quantizer.</summary>
    /// <param name="projection">P, the projection onto the quantized set.</param>
    /// <param name="state">η and the phase, usually shared by every layer of the model.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public BinaryRelaxQuantizer(IWeightProjection projection, BinaryRelaxState state)
    {
        Projection = projection ?? throw new ArgumentNullException(nameof(projection));
        State = state ?? throw new ArgumentNullException(nameof(state));
    }

    /// <summary>P.</summary>
    public IWeightProjection Projection { get; }

    /// <summary>The shared η and phase.</summary>
    public BinaryRelaxState State { get; }

    /// <summary>The projection's bit width (the storage cost once training ends in the hard phase).</summary>
    public int BitWidth => Projection.BitWidth;

    /// <summary>Per tensor: the projections use one scale per tensor, like the BinaryRelax code.</summary>
    public QuantGranularity Granularity => QuantGranularity.PerTensor;

    /// <summary>u (relaxed) or P(w) (hard), shaped like <paramref name="w"/>; identity gradient to <paramref name="w"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="w"/> is not Float32.</exception>
    public Tensor Quantize(Tensor w)
    {
        var p = Projection.Project(w);
        double keep = State.Hard ? 0 : 1 / (1 + State.Eta); // weight of (w − P(w)); 1/(1+∞) = 0
        return new RelaxSte(p, (float)keep).Apply([w]);
    }

    /// <summary>The projection's grid for <paramref name="w"/>: the values of the hard phase (the relaxed values lie between them and w).</summary>
    /// <exception cref="ArgumentException"><paramref name="w"/> is null.</exception>
    public QuantGrid Grid(Tensor? w = null) => w is null
        ? throw new ArgumentException($"BinaryRelaxQuantizer.Grid: the {Projection.Name} projection's scale depends on the weights; pass the weight tensor.", nameof(w))
        : Projection.Grid(w);

    /// <summary>P(w) + keep·(w − P(w)) forward, identity backward.</summary>
    private sealed class RelaxSte(Tensor projected, float keep) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            if (keep == 0f) return projected;
            // The same three roundings as the loop below, as device ops.
            if (!inputs[0].Device.IsCpu) return projected + (inputs[0] - projected) * keep;
            var w = inputs[0].Contiguous().AsReadOnlySpan();
            var p = projected.AsReadOnlySpan();
            var u = new float[w.Length];
            for (int i = 0; i < u.Length; i++) u[i] = p[i] + keep * (w[i] - p[i]);
            return Tensor.FromArray(u, inputs[0].Shape.ToArray());
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput];
    }
}
