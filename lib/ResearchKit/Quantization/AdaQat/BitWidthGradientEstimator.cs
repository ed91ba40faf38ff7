namespace ResearchKit.Quantization.AdaQat;

/// <summary>
/// Computes AdaQAT's bit-width gradients for a batch: for every width that is not frozen, one extra evaluation of the task
/// loss with that width one bit lower (the others unchanged), plus the cost term's gradient at the integer widths.
/// </summary>
/// <remarks>
/// Cost: one extra forward pass (no backward) per learned width and step, so 2 per step per-network and 1 + … per layer
/// per-layer; <see cref="ExtraForwards"/> counts them. The caller decides how the loss is evaluated (mode, no-grad, state).
/// </remarks>
public static class BitWidthGradientEstimator
{
    /// <summary>The number of extra forward passes <see cref="Estimate"/> makes now: the learned widths that are not frozen.</summary>
    /// <param name="model">The converted model.</param>
    public static int ExtraForwards(AdaQatModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.BitWidths.Count(b => !b.Frozen);
    }

    /// <summary>Estimates the gradients of every learned width that is not frozen.</summary>
    /// <param name="model">The converted model.</param>
    /// <param name="lossAtBits">The batch's task loss at the current widths.</param>
    /// <param name="evaluateLoss">Evaluates the same batch's task loss with the current (probed) widths; called once per width.</param>
    /// <returns>One gradient per width that is not frozen, weights first, in <see cref="AdaQatModel.BitWidths"/> order.</returns>
    /// <exception cref="ArgumentException"><paramref name="lossAtBits"/> or an evaluated loss is not finite.</exception>
    public static IReadOnlyList<BitWidthGradient> Estimate(AdaQatModel model, double lossAtBits, Func<double> evaluateLoss)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(evaluateLoss);
        if (!double.IsFinite(lossAtBits)) throw new ArgumentException($"BitWidthGradientEstimator: the loss at the current widths is {lossAtBits}.", nameof(lossAtBits));
        var (gw, ga) = model.Options.Cost.Gradient(model.WeightBits(), model.ActivationBits());
        var result = new List<BitWidthGradient>();
        for (int i = 0; i < model.BitWidths.Count; i++)
        {
            var width = model.BitWidths[i];
            if (width.Frozen) continue;
            int bits = width.Bits;
            double below;
            using (width.Probe(bits - 1)) below = evaluateLoss();
            if (!double.IsFinite(below)) throw new ArgumentException($"BitWidthGradientEstimator: the loss with '{width.Name}' at {bits - 1} bits is {below}.");
            double cost = i < gw.Length ? gw[i] : ga[i - gw.Length];
            result.Add(new BitWidthGradient(width, bits, lossAtBits, below, cost));
        }
        return result;
    }
}
