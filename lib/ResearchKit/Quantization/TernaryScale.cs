namespace ResearchKit.Quantization;

/// <summary>How <see cref="TernaryProjection"/> averages |w| over the kept weights to get its scale.</summary>
public enum TernaryScale
{
    /// <summary>Σ_kept |w| / (number kept): TWN (Li &amp; Liu 2016), the least-squares scale for the kept support.</summary>
    MeanOfKept,

    /// <summary>Σ_kept |w| / (number of entries): the BinaryRelax code's 'tnn' (Yin et al. 2018), which divides by the tensor size.</summary>
    MeanOfAll,
}
