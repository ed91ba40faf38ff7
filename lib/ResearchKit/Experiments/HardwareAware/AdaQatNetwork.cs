using ResearchKit.Experiments.Chapter5;
using ResearchKit.Quantization.AdaQat;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>A trained AdaQAT network (<see cref="AdaQatRecipe.Trained"/>): the quantized network at its learned widths, in eval mode.</summary>
/// <param name="Network">The quantized network (chapter 5's ResNet and head; first/last layer at the fixed 8 bits).</param>
/// <param name="BitWidths">Its learned widths and sites, restored from the run's last checkpoint.</param>
public sealed record AdaQatNetwork(QatNetwork Network, AdaQatModel BitWidths);
