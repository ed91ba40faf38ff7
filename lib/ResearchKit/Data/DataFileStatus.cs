namespace ResearchKit.Data;

/// <summary>Status of one dataset file as reported by <see cref="DataCatalog"/>.</summary>
/// <param name="File">The manifest entry.</param>
/// <param name="State">Missing, present, verified or corrupt.</param>
/// <param name="Path">Where it is (or the archive holding it), when found.</param>
/// <param name="Source">Which resolution step found it.</param>
/// <param name="Message">The error, for missing or corrupt files.</param>
public sealed record DataFileStatus(ManifestFile File, DataFileState State, string? Path, DataSource? Source, string? Message);
