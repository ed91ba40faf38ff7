namespace ResearchKit.Tensors;

/// <summary>
/// The version counter of one storage (PyTorch's <c>VariableVersion</c>): every in-place write bumps it, and a graph
/// node remembers the value of each tensor it saved, so backward can refuse to use data that changed after forward.
/// </summary>
internal sealed class StorageVersion
{
    /// <summary>Number of in-place writes so far.</summary>
    public int Value;
}
