namespace ResearchKit.Data;

/// <summary>Which CIFAR-100 label set becomes <see cref="ImageDataset.Labels"/> (each record carries both).</summary>
public enum Cifar100Labels
{
    /// <summary>The 100 fine classes (<c>fine_label_names</c>): the label set of the thesis's CIFAR-100 experiments.</summary>
    Fine,
    /// <summary>The 20 superclasses (<c>coarse_label_names</c>).</summary>
    Coarse,
}
