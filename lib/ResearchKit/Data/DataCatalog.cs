namespace ResearchKit.Data;

/// <summary>
/// Dataset housekeeping for the CLI (<c>rk data list|fetch|verify</c>): local status of every file, fetching a whole
/// dataset, and forced re-verification.
/// </summary>
public sealed class DataCatalog
{
    /// <summary>A catalog over the given options (null = defaults and environment).</summary>
    public DataCatalog(DataOptions? options = null) => Resolver = new DataResolver(options);

    /// <summary>The resolver used (its folders are worth printing).</summary>
    public DataResolver Resolver { get; }

    /// <summary>The manifest's datasets.</summary>
    public IReadOnlyList<ManifestDataset> Datasets => Resolver.Manifest.Datasets;

    /// <summary>Status of every dataset, without hashing, decompressing or writing anything.</summary>
    public IReadOnlyList<DatasetStatus> List() => Datasets.Select(d => Status(d.Id)).ToList();

    /// <summary>Status of one dataset without hashing or writing: Verified when a valid stamp exists, else Present/Missing.</summary>
    public DatasetStatus Status(string datasetId)
    {
        var ds = Resolver.Manifest.Dataset(datasetId);
        var files = new List<DataFileStatus>();
        foreach (var f in ds.Files)
        {
            var loc = Resolver.Locate(f).FirstOrDefault();
            files.Add(loc is null
                ? new DataFileStatus(f, DataFileState.Missing, null, null, null)
                : new DataFileStatus(f, Resolver.IsStamped(f, loc) ? DataFileState.Verified : DataFileState.Present, loc.Path, loc.Source, null));
        }
        return new DatasetStatus(ds, files);
    }

    /// <summary>Resolves every required file (downloading when allowed) and every optional one found locally.</summary>
    public DatasetStatus Fetch(string datasetId, CancellationToken cancellationToken = default) =>
        FetchAsync(datasetId, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Resolves every required file (downloading when allowed) and every optional one found locally.</summary>
    public async Task<DatasetStatus> FetchAsync(string datasetId, CancellationToken cancellationToken = default)
    {
        var ds = Resolver.Manifest.Dataset(datasetId);
        var files = new List<DataFileStatus>();
        foreach (var f in ds.Files)
        {
            try
            {
                var r = f.Optional ? Resolver.TryResolveLocal(f) : await Resolver.ResolveAsync(f, cancellationToken).ConfigureAwait(false);
                files.Add(r is null
                    ? new DataFileStatus(f, DataFileState.Missing, null, null, null)
                    : new DataFileStatus(f, f.ChecksumKind == "none" ? DataFileState.Present : DataFileState.Verified, r.Path, r.Source, null));
            }
            catch (DataNotFoundException e) { files.Add(new DataFileStatus(f, DataFileState.Missing, null, null, e.Message)); }
            catch (DataIntegrityException e) { files.Add(new DataFileStatus(f, DataFileState.Corrupt, null, null, e.Message)); }
        }
        return new DatasetStatus(ds, files);
    }

    /// <summary>Re-hashes every local file of the dataset, ignoring stamps; never downloads.</summary>
    public DatasetStatus Verify(string datasetId)
    {
        var ds = Resolver.Manifest.Dataset(datasetId);
        var files = new List<DataFileStatus>();
        foreach (var f in ds.Files)
        {
            var loc = Resolver.Locate(f).FirstOrDefault();
            if (loc is null) { files.Add(new DataFileStatus(f, DataFileState.Missing, null, null, null)); continue; }
            try
            {
                var r = Resolver.VerifyLocal(f);
                files.Add(new DataFileStatus(f, f.ChecksumKind == "none" ? DataFileState.Present : DataFileState.Verified, r.Path, r.Source, null));
            }
            catch (DataIntegrityException e) { files.Add(new DataFileStatus(f, DataFileState.Corrupt, loc.Path, loc.Source, e.Message)); }
        }
        return new DatasetStatus(ds, files);
    }
}
