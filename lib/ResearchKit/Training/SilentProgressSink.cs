namespace ResearchKit.Training;

/// <summary>Displays nothing (tests, nested runs).</summary>
public sealed class SilentProgressSink : IProgressSink
{
    /// <summary>The shared instance.</summary>
    public static SilentProgressSink Instance { get; } = new();

    /// <inheritdoc/>
    public void Start(string description, long totalSteps, long startStep) { }

    /// <inheritdoc/>
    public void Step(in ProgressUpdate update) { }

    /// <inheritdoc/>
    public void Evaluated(long step, IReadOnlyDictionary<string, double> metrics) { }

    /// <inheritdoc/>
    public void Message(string text) { }

    /// <inheritdoc/>
    public void Finish(long step) { }
}
