namespace ResearchKit.Models;

/// <summary>How a <see cref="ThinUNet"/> decoder level doubles the resolution before concatenating the skip connection.</summary>
public enum UNetUpsampling
{
    /// <summary>
    /// A learned 2×2 transposed convolution with stride 2 that also halves the channels (Ronneberger et al. 2015's
    /// "up-convolution"; the common PyTorch U-Net's default).
    /// </summary>
    TransposedConv,

    /// <summary>
    /// Parameter-free nearest-neighbour ×2 upsampling (Keras <c>UpSampling2D</c>, as in the thin U-Nets of Vaze et al.
    /// 2020); the channels are unchanged, so the decoder's double convolution sees more input channels.
    /// </summary>
    Nearest,
}
