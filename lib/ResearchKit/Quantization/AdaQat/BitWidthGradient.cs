namespace ResearchKit.Quantization.AdaQat;

/// <summary>
/// AdaQAT's gradient estimate for one bit width: the task loss at the current width minus the loss one bit lower (a
/// backward finite difference of step 1 on the discretized objective), plus the cost term's gradient.
/// </summary>
/// <param name="BitWidth">The width it is for.</param>
/// <param name="Bits">The integer width ⌈N⌉ at which it was taken.</param>
/// <param name="LossAtBits">Task loss of the batch at <paramref name="Bits"/>.</param>
/// <param name="LossBelow">Task loss of the same batch at <paramref name="Bits"/> − 1 (the extra forward pass).</param>
/// <param name="CostGradient">∂(λ·C)/∂N at the integer widths.</param>
public sealed record BitWidthGradient(LearnedBitWidth BitWidth, int Bits, double LossAtBits, double LossBelow, double CostGradient)
{
    /// <summary>L(⌈N⌉) − L(⌈N⌉ − 1): negative when the extra bit helps, which makes N grow under gradient descent.</summary>
    public double TaskDifference => LossAtBits - LossBelow;

    /// <summary>The gradient the update uses: <see cref="TaskDifference"/> + <see cref="CostGradient"/>.</summary>
    public double Total => TaskDifference + CostGradient;
}
