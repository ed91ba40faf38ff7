namespace ResearchKit.Experiments.HardwareAware;

/// <summary>Which reading of "Thin U-Net 32" <see cref="MinifloatSegmentationRecipe"/> trains (the paper's exact layout is not stated).</summary>
public enum UNetLayout
{
    /// <summary>Vaze et al. 2020's "thin" U-Net: 32 channels at every level, nearest-neighbour upsampling (every learned layer is a Conv2d).</summary>
    ConstantWidth,

    /// <summary>Ronneberger-style widths doubling per level from 32, still with nearest upsampling so every learned layer is a Conv2d that ModelQuantizer converts.</summary>
    Doubling,
}
