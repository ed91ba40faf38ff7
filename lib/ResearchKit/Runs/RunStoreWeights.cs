namespace ResearchKit.Runs;

/// <summary>Reading a completed run's weights back, shared by every recipe that starts from or returns a stored model.</summary>
public static class RunStoreWeights
{
    /// <summary>The run's latest checkpoint (its final weights, for a completed run).</summary>
    /// <param name="store">The run store.</param>
    /// <param name="runId">The run.</param>
    /// <param name="reader">Who asks, named in the error (e.g. <c>"DlQatRecipe.Trained"</c>).</param>
    /// <exception cref="InvalidOperationException">The run has no checkpoint; the message says how to train it again.</exception>
    public static Checkpoint StoredWeights(this IRunStore store, long runId, string reader)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.LatestCheckpoint(runId)
            ?? throw new InvalidOperationException($"{reader}: run {runId} has no stored weights (checkpoint missing); delete that run from the store to train it again.");
    }
}
