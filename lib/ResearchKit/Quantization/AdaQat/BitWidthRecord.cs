namespace ResearchKit.Quantization.AdaQat;

/// <summary>One learned width after one training step, for plotting AdaQAT's trajectories.</summary>
/// <param name="Step">Steps completed (1 after the first).</param>
/// <param name="Epoch">0-based epoch of the step.</param>
/// <param name="Name">The width's name (e.g. <c>weights</c>, or a layer path under per-layer AdaQAT).</param>
/// <param name="Value">Relaxed N after the step's update.</param>
/// <param name="Bits">Integer width ⌈N⌉ after the update.</param>
/// <param name="Gradient">The gradient used by the update, null when the width was frozen (no estimate).</param>
/// <param name="Frozen">Whether the width is frozen after the step.</param>
public sealed record BitWidthRecord(long Step, int Epoch, string Name, double Value, int Bits, double? Gradient, bool Frozen);
