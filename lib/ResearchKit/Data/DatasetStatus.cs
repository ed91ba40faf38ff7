namespace ResearchKit.Data;

/// <summary>Status of a dataset's files as reported by <see cref="DataCatalog"/>.</summary>
/// <param name="Dataset">The manifest entry.</param>
/// <param name="Files">One status per file, in manifest order.</param>
public sealed record DatasetStatus(ManifestDataset Dataset, IReadOnlyList<DataFileStatus> Files)
{
    /// <summary>Whether every required (non-optional) file is present or verified.</summary>
    public bool IsAvailable => Files.All(f => f.File.Optional || f.State is DataFileState.Present or DataFileState.Verified);

    /// <summary>Whether every required file is verified.</summary>
    public bool IsVerified => Files.All(f => f.File.Optional || f.State == DataFileState.Verified);
}
