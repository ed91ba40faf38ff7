namespace ResearchKit.Quantization.AdaQat;

/// <summary>
/// AdaQAT's hardware-cost term λ·C and its gradient with respect to each bit width (see <see cref="AdaQatCostKind"/>).
/// </summary>
/// <remarks>
/// The trainer evaluates the gradient at the integer widths ⌈N⌉ (as the authors' code does, which reads the integer widths);
/// C itself is defined for real-valued widths so that its gradient can be checked by finite differences.
/// For per-layer widths, C uses the means, so the gradient for one layer's width is λ·mean(N_a)/L_w (BitProduct): the exact
/// derivative of the mean-based cost. A role without any learned width (e.g. no activation quantizer) contributes a factor 1.
/// </remarks>
public sealed class AdaQatCost
{
    /// <summary>Creates the term.</summary>
    /// <param name="kind">Which cost.</param>
    /// <param name="lambda">λ ≥ 0, the weight of the cost against the task loss.</param>
    /// <exception cref="ArgumentException"><paramref name="lambda"/> is negative or not finite.</exception>
    public AdaQatCost(AdaQatCostKind kind, double lambda)
    {
        if (!(lambda >= 0) || !double.IsFinite(lambda)) throw new ArgumentException($"AdaQatCost: λ must be finite and ≥ 0, got {lambda}.", nameof(lambda));
        Kind = kind; Lambda = lambda;
    }

    /// <summary>Which cost.</summary>
    public AdaQatCostKind Kind { get; }

    /// <summary>λ.</summary>
    public double Lambda { get; }

    /// <summary>λ·C for the given weight and activation widths.</summary>
    /// <param name="weightBits">One value per weight bit-width variable.</param>
    /// <param name="activationBits">One value per activation bit-width variable.</param>
    /// <exception cref="ArgumentException">Both lists are empty.</exception>
    public double Value(IReadOnlyList<double> weightBits, IReadOnlyList<double> activationBits)
    {
        Check(weightBits, activationBits);
        return Kind switch
        {
            AdaQatCostKind.BitProduct => Lambda * MeanOrOne(weightBits) * MeanOrOne(activationBits),
            _ => Lambda * (weightBits.Sum() + activationBits.Sum()) / (weightBits.Count + activationBits.Count),
        };
    }

    /// <summary>∂(λ·C)/∂N for every weight and every activation width, at the given widths.</summary>
    /// <param name="weightBits">One value per weight bit-width variable.</param>
    /// <param name="activationBits">One value per activation bit-width variable.</param>
    /// <exception cref="ArgumentException">Both lists are empty.</exception>
    public (double[] Weights, double[] Activations) Gradient(IReadOnlyList<double> weightBits, IReadOnlyList<double> activationBits)
    {
        Check(weightBits, activationBits);
        var gw = new double[weightBits.Count];
        var ga = new double[activationBits.Count];
        if (Kind == AdaQatCostKind.BitProduct)
        {
            Array.Fill(gw, weightBits.Count == 0 ? 0 : Lambda * MeanOrOne(activationBits) / weightBits.Count);
            Array.Fill(ga, activationBits.Count == 0 ? 0 : Lambda * MeanOrOne(weightBits) / activationBits.Count);
        }
        else
        {
            double g = Lambda / (weightBits.Count + activationBits.Count);
            Array.Fill(gw, g);
            Array.Fill(ga, g);
        }
        return (gw, ga);
    }

    private static double MeanOrOne(IReadOnlyList<double> v) => v.Count == 0 ? 1.0 : v.Average();

    private static void Check(IReadOnlyList<double> w, IReadOnlyList<double> a)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(a);
        if (w.Count + a.Count == 0) throw new ArgumentException("AdaQatCost: there is no bit width to price; learn at least one weight or activation width.");
    }
}
