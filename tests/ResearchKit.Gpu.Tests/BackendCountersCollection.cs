using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// Tests that read a backend's counters (label downloads, the upload pool's cached bytes) run alone: the backend of a device
/// is shared by the whole process, and another class's synchronization or download in between would move the counters.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BackendCountersCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "backend counters";
}
