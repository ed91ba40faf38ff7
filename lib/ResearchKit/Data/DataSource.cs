namespace ResearchKit.Data;

/// <summary>Where a dataset file was found, in resolution order.</summary>
public enum DataSource
{
    /// <summary><see cref="DataOptions.Path"/>.</summary>
    ExplicitPath,
    /// <summary><see cref="DataOptions.DataDir"/> or the <c>RESEARCHKIT_DATA</c> folder.</summary>
    DataDir,
    /// <summary>The user cache.</summary>
    Cache,
    /// <summary>The mirror (<see cref="DataOptions.MirrorDir"/> or <c>RESEARCHKIT_DATA_MIRROR</c>).</summary>
    Mirror,
    /// <summary>Downloaded from a canonical URL into the cache.</summary>
    Download,
}
