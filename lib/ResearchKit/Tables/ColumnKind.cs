namespace ResearchKit.Tables;

/// <summary>How the cells of a <see cref="TableColumn"/> are stored and rendered.</summary>
public enum ColumnKind
{
    /// <summary>Free text (configuration names, labels); left-aligned.</summary>
    Text,
    /// <summary>64-bit integers (counts, epochs, parameters); rendered without separators.</summary>
    Integer,
    /// <summary>Floating-point values rendered with a fixed number of decimals.</summary>
    Number,
    /// <summary>A <see cref="SampleSummary"/> over seed replicates, rendered as "mean ± std" (sample std, n − 1; the mean alone for a single replicate).</summary>
    MeanStd,
    /// <summary>A fraction (0.923) rendered as a percentage ("92.3%"); stored and exported raw.</summary>
    Percent,
}
