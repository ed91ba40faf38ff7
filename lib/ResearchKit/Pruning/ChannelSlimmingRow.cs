namespace ResearchKit.Pruning;

/// <summary>What removing zero filters changes for one convolution (or for all of them) in a <see cref="ChannelSlimming"/>.</summary>
/// <param name="Path">Dotted path of the convolution, or <c>Total</c>.</param>
/// <param name="OutputChannels">Filters before slimming.</param>
/// <param name="InputChannels">Input channels before slimming.</param>
/// <param name="RemovedFilters">Zero filters of this convolution, removed from its output.</param>
/// <param name="RemovedInputs">Input channels dropped because the producing convolution of the same block lost those filters.</param>
/// <param name="RemovableFilters">How many of <see cref="RemovedFilters"/> are exactly removable (the following batch norm
/// and ReLU map their constant output to 0), or null when no such batch norm follows inside the block (not assessed).</param>
/// <param name="ParamsBefore">Weights and bias entries at the full shape.</param>
/// <param name="ParamsAfter">Weights and bias entries at the reduced shape.</param>
/// <param name="MacsBefore">Multiply-accumulates per input image at the full shape.</param>
/// <param name="MacsAfter">Multiply-accumulates per input image at the reduced shape.</param>
/// <param name="MsBefore">Median measured time of the convolution at the full shape (milliseconds, whole batch).</param>
/// <param name="MsAfter">Median measured time at the reduced shape (0 when nothing is left to compute).</param>
public sealed record ChannelSlimmingRow(string Path, int OutputChannels, int InputChannels, int RemovedFilters, int RemovedInputs,
    int? RemovableFilters, long ParamsBefore, long ParamsAfter, long MacsBefore, long MacsAfter, double MsBefore, double MsAfter)
{
    /// <summary><see cref="MsBefore"/> / <see cref="MsAfter"/> (infinity when nothing is left to compute).</summary>
    public double Speedup => MsAfter == 0 ? double.PositiveInfinity : MsBefore / MsAfter;
}
