using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Export;

/// <summary>The geometry of an exported convolution (zero padding only).</summary>
/// <param name="Stride">Stride.</param>
/// <param name="Padding">Zero padding.</param>
/// <param name="Dilation">Dilation.</param>
/// <param name="Groups">Groups.</param>
public sealed record ConvGeometry(Pair Stride, Pair Padding, Pair Dilation, int Groups)
{
    /// <summary>The output size of an h × w input under a kh × kw kernel (PyTorch's formula; below 1 when the kernel does not fit).</summary>
    public (int H, int W) OutSize(int h, int w, int kh, int kw) =>
        ((h + 2 * Padding.H - Dilation.H * (kh - 1) - 1) / Stride.H + 1, (w + 2 * Padding.W - Dilation.W * (kw - 1) - 1) / Stride.W + 1);
}
