namespace ResearchKit.Data;

/// <summary>A local place a dataset file can be had from, found without reading or writing anything.</summary>
/// <param name="Source">Which resolution step found it.</param>
/// <param name="Path">The file found: the dataset file itself (maybe gzip-compressed) or an archive holding it.</param>
/// <param name="Archive">The archive entry when <paramref name="Path"/> is an archive to extract from, else null.</param>
public sealed record DataLocation(DataSource Source, string Path, ManifestArchive? Archive);
